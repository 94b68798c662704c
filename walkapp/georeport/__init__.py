"""Open311 GeoReport v2 over walkapp's inputs. No Flask here: walkapp/open311/ is the thin web
adapter that turns these plain dicts into JSON or XML and GeoReportError into the spec's
error list.

Services are a municipality's categories (jurisdiction_id = the municipality's slug);
service requests are its inputs, whatever their source (a phone on a walk, an official in
scribe mode, or a department's system through POST requests).
"""

from walkapp.georeport.errors import GeoReportError

__all__ = ["GeoReportError"]
