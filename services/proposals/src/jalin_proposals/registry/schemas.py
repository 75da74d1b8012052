"""What the operator sends to onboard or change a region, and what users read of regions."""

from __future__ import annotations

from typing import Annotated

from jalin_kit.identifiers import REGION_CODE, TENANT_ID, UNIT_ID
from jalin_kit.regions import Region, RegionKind, TimeZone
from jalin_kit.tenants import TenantSettings
from jalin_kit.text import Text
from pydantic import BaseModel, StringConstraints
from pydantic import Field as PydField

from jalin_proposals.schemas import Input

EMAIL_DOMAIN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"

UnitId = Annotated[str, StringConstraints(pattern=UNIT_ID.schema)]
UnitName = Annotated[Text, PydField(min_length=2, max_length=200)]
Units = dict[UnitId, UnitName]


class TenantOnboard(Input):
    """A region joins this Jalin. What the registry knows of the region (name, kind, province,
    time zone) comes from its Kemendagri code; the rest is the region's."""

    region_code: str = PydField(pattern=REGION_CODE.schema, description="Kemendagri code, e.g. 13 or 64.02 (GET /v1/regions).")
    id: str | None = PydField(
        None, pattern=TENANT_ID.schema, description="The tenant id (its event subjects' token); default from the region's name."
    )
    head_name: Text = PydField(min_length=2, max_length=200, description="The kepala daerah's name.")
    head_title: Text | None = PydField(None, min_length=2, max_length=200, description="Default: Gubernur / Bupati / Wali Kota X.")
    seat: Text = PydField(min_length=2, max_length=100, description="The seat of government, where agreements are signed.")
    email_domain: str = PydField(pattern=EMAIL_DOMAIN, max_length=200, description="The region's mail domain.")
    cooperation_section: Text | None = PydField(
        None, min_length=2, max_length=200, description="Default: Biro/Bagian Kerja Sama Setda of the region."
    )
    units: Units = PydField(default_factory=dict, max_length=200, description="The OPDs: unit id -> name.")
    settings: TenantSettings = PydField(default_factory=lambda: TenantSettings.model_validate({}))


class TenantChange(Input):
    """What the operator may change of an onboarded region (not its code, id or kind)."""

    head_name: Text | None = PydField(None, min_length=2, max_length=200)
    head_title: Text | None = PydField(None, min_length=2, max_length=200)
    seat: Text | None = PydField(None, min_length=2, max_length=100)
    email_domain: str | None = PydField(None, pattern=EMAIL_DOMAIN, max_length=200)
    cooperation_section: Text | None = PydField(None, min_length=2, max_length=200)
    units: Units | None = PydField(None, max_length=200, description="Replaces the list of units.")
    settings: TenantSettings | None = PydField(None, description="Replaces the region's settings.")


class TenantEntry(BaseModel):
    """A region on Jalin, as its peers see it (to name it as a partner)."""

    id: str
    name: str
    kind: RegionKind | None
    region_code: str | None
    province_code: str | None
    timezone: TimeZone


class RegionPublic(BaseModel):
    code: str
    name: str
    kind: RegionKind
    province_code: str | None
    timezone: TimeZone
    tenant: str | None = PydField(description="Its tenant id when it is onboarded on this Jalin.")

    @classmethod
    def of(cls, region: Region, tenant: str | None) -> RegionPublic:
        return cls(code=region.code, name=region.name, kind=region.kind, province_code=region.province_code,
                   timezone=region.timezone, tenant=tenant)
