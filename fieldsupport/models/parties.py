"""People and things: users, customers, their sites and contacts, products and assets."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldsupport.models.base import NAME_LEN, SHORT_LEN, Base, SyncMixin, enum_column
from fieldsupport.models.enums import UserRole


class User(SyncMixin, Base):
    """A person with an account on the central system (engineer, advisor, back office)."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(SHORT_LEN), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LEN))
    role: Mapped[UserRole] = enum_column(UserRole, default=UserRole.ENGINEER)
    team: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    email: Mapped[str | None] = mapped_column(String(NAME_LEN))


class Customer(SyncMixin, Base):
    __tablename__ = "customers"

    name: Mapped[str] = mapped_column(String(NAME_LEN), index=True)
    account_number: Mapped[str | None] = mapped_column(String(SHORT_LEN), unique=True)
    industry: Mapped[str | None] = mapped_column(String(NAME_LEN))
    notes: Mapped[str | None] = mapped_column(Text)

    sites: Mapped[list[Site]] = relationship(back_populates="customer")
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer")


class Site(SyncMixin, Base):
    """A customer location the engineer travels to."""

    __tablename__ = "sites"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    address_line1: Mapped[str | None] = mapped_column(String(NAME_LEN))
    address_line2: Mapped[str | None] = mapped_column(String(NAME_LEN))
    postal_code: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    city: Mapped[str | None] = mapped_column(String(NAME_LEN))
    country: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    access_notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="sites")


class Contact(SyncMixin, Base):
    __tablename__ = "contacts"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    role: Mapped[str | None] = mapped_column(String(NAME_LEN))
    email: Mapped[str | None] = mapped_column(String(NAME_LEN))
    phone: Mapped[str | None] = mapped_column(String(SHORT_LEN))

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Product(SyncMixin, Base):
    """A product the company sells: equipment, a chemical, a consumable or a spare part."""

    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(SHORT_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    category: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    description: Mapped[str | None] = mapped_column(Text)


class Asset(SyncMixin, Base):
    """An installed unit (by serial number) or a delivered batch (by lot number) at a site."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_product_serial", "product_id", "serial_number"),)

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    serial_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    lot_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    install_date: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship()
    site: Mapped[Site] = relationship()
