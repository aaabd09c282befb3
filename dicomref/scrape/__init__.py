"""Scrape stage: discover series cheaply, extract the first file of each into JSON Lines."""

from dicomref.scrape.extract import ExtractOptions
from dicomref.scrape.runner import ScrapeInput, ScrapeOptions, ScrapeProgress, ScrapeSummary, scrape

__all__ = ["ExtractOptions", "ScrapeInput", "ScrapeOptions", "ScrapeProgress", "ScrapeSummary", "scrape"]
