"""Deterministic demo workspace: realistic customers, cases of all four assist types in varied
states with timelines, visits with measurements, and one of everything else.

Cases walk through the real workflow state machine (``fieldsupport.workflow``), so every demo
case is in a state the app can reach. Bulk rows go in with Core ``insert()`` executemany in one
transaction (see ``demo.cases``), and a cancelled or failed run leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fieldsupport.demo import recipe
from fieldsupport.demo.cases import CaseJob, Ids, World
from fieldsupport.demo.cases import batches as case_batches
from fieldsupport.demo.photos import add_demo_photos
from fieldsupport.demo.rich import add_rich_records
from fieldsupport.errors import ValidationError, WorkspaceError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Asset, Case, Contact, Customer, Product, Setting, Site, User
from fieldsupport.models.enums import UserRole
from fieldsupport.services import numbering
from fieldsupport.store import search_index
from fieldsupport.store.bulk import bulk_load, insert_prepared
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

DEFAULT_SEED = 20261123
MAX_CASES = 1_000_000
BULK_TABLES = ("cases", "case_events", "visits", "time_entries", "measurements")
BULK_CACHE_KIB = 1024 * 1024  # up to 1 GiB, used only as the database grows


@dataclass
class DemoSummary:
    cases: int = 0
    events: int = 0
    visits: int = 0
    measurements: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def create_demo(
    workspace: Workspace,
    *,
    cases: int = 200,
    seed: int = DEFAULT_SEED,
    reference: datetime | None = None,
    task: TaskState | None = None,
) -> DemoSummary:
    """Fill an empty workspace with demo data. Refuses a workspace that already has cases."""
    if not 0 <= cases <= MAX_CASES:
        raise ValidationError(f"The number of demo cases must be between 0 and {MAX_CASES:,}.")
    if reference is None:
        # "now", to the hour: the data ends where the user's day is; same seed + same hour
        # gives the same data
        reference = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if reference.tzinfo is None:
        raise ValidationError("The demo reference time must include a time zone.")
    task = task or TaskState()
    started = time.perf_counter()
    rng = random.Random(seed)
    new_id = Ids(rng)
    summary = DemoSummary()
    with workspace.transaction() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            raise WorkspaceError(
                f"The workspace {workspace.root} already has cases; demo data goes into an "
                "empty workspace. Choose a new folder."
            )
        # Random UUID keys scatter index writes; a large page cache keeps the B-trees in
        # memory for the bulk insert (per connection; reset below).
        session.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
        task.progress(0.0, "Creating customers and products")
        world = _create_reference_data(session, rng, new_id, reference)
        policy_row = session.get(Setting, "sla_policy")
        policy_settings = policy_row.value if policy_row is not None else None
        code, first = numbering.reserve_case_numbers(session, cases)
        job = CaseJob(seed, world, policy_settings, reference, code, first, cases)
        with bulk_load(session, BULK_TABLES):
            generated = 0
            for batch in case_batches(job):
                for prepared in batch.tables:
                    insert_prepared(session, prepared)
                summary.events += batch.events
                summary.visits += batch.visits
                summary.measurements += batch.measurements
                generated += batch.cases
                task.progress(0.05 + 0.85 * generated / max(cases, 1), f"{generated:,} cases")
            task.progress(0.9, "Building indexes")
        search_index.rebuild(session)
        add_rich_records(session, new_id, reference, world.current_user)
        add_demo_photos(session, new_id, BlobStore(workspace.blobs_dir), rng)
        session.add(Setting(key="current_user_id", value=world.current_user))
        session.add(Setting(key="demo", value={"seed": seed, "reference": reference.isoformat()}))
        session.execute(text("PRAGMA cache_size=-2000"))
        summary.cases = cases
        summary.counts = {
            status.value: n
            for status, n in session.execute(
                select(Case.status, func.count()).group_by(Case.status)
            ).all()
        }
    task.progress(1.0, "Done")
    summary.seconds = time.perf_counter() - started
    return summary


def _create_reference_data(
    session: Session, rng: random.Random, new_id: Ids, reference: datetime
) -> World:
    users = []
    for username, name, role, team in recipe.USERS:
        users.append(
            User(
                id=new_id(),
                username=username,
                display_name=name,
                role=role,
                team=team,
                email=f"{username}@fieldsupport.example",
            )
        )
    session.add_all(users)
    products = {
        code: Product(id=new_id(), code=code, name=name, category=category)
        for code, name, category in recipe.PRODUCTS
    }
    session.add_all(products.values())
    customers = []
    for index, (name, industry, country, sites) in enumerate(recipe.CUSTOMERS):
        customer = Customer(
            id=new_id(), name=name, industry=industry, account_number=f"C{10_000 + index * 37}"
        )
        session.add(customer)
        # explicit flushes: the unit of work orders inserts by relationships only, and not
        # every foreign key here has one (e.g. contacts.site_id)
        session.flush()
        site_ids: list[str] = []
        assets: dict[str, list[str]] = {}
        for site_name, street, postal, city, lat, lon, access in sites:
            site = Site(
                id=new_id(),
                customer_id=customer.id,
                name=site_name,
                address_line1=street,
                postal_code=postal,
                city=city,
                country=country,
                latitude=lat,
                longitude=lon,
                access_notes=access,
            )
            session.add(site)
            site_ids.append(site.id)
            assets[site.id] = []
            for _ in range(rng.randint(2, 5)):
                code = rng.choice(recipe.EQUIPMENT_CODES)
                installed = (reference - timedelta(days=rng.randint(60, 2500))).date()
                asset = Asset(
                    id=new_id(),
                    product_id=products[code].id,
                    site_id=site.id,
                    serial_number=f"{code}-{rng.randint(10_000, 99_999)}",
                    install_date=installed,
                    warranty_end=date(installed.year + 2, installed.month, min(installed.day, 28)),
                )
                session.add(asset)
                assets[site.id].append(asset.id)
        session.flush()
        contact_ids = []
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(recipe.FIRST_NAMES), rng.choice(recipe.LAST_NAMES)
            contact = Contact(
                id=new_id(),
                customer_id=customer.id,
                site_id=rng.choice(site_ids),
                name=f"{first} {last}",
                role=rng.choice(recipe.CONTACT_ROLES),
                email=f"contact{rng.randint(100, 999)}@customer.example",
                phone=f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(100, 999)} "
                f"{rng.randint(100, 999)}",
            )
            session.add(contact)
            contact_ids.append(contact.id)
        customers.append((customer.id, site_ids, contact_ids, assets))
    session.flush()
    engineers = [u.id for u in users if u.role is UserRole.ENGINEER]
    return World(
        engineers=engineers,
        customers=customers,
        product_codes=[code for code, _n, _c in recipe.PRODUCTS],
        current_user=engineers[0],
    )
