"""The central case server (FastAPI, extra ``central``): storage, auth, sync endpoints."""
