"""Site stage: a static, searchable reference of the standard with real examples."""

from dicomref.site.build import SiteSummary, build_site, load_aggregate

__all__ = ["SiteSummary", "build_site", "load_aggregate"]
