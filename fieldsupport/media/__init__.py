"""Photos and other files: the content-addressed blob store and the image pipeline (Pillow).
No Qt: the gallery and annotation widgets live in ``fieldsupport.ui``."""
