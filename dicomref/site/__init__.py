"""Site stage: a static, searchable reference of the standard with real examples."""

from dicomref.site.build import SiteSummary, build_site

__all__ = ["SiteSummary", "build_site"]
