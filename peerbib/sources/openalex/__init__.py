"""OpenAlex: the request builder (pyalex), the HTTP client, matching, and record reading."""
from .client import CONTENT_URL, CREDIT_COSTS, ApiResponse, FetchCancelled, OpenAlexClient, RequestStats, cost_kind
from .records import decode_abstract, work_row

__all__ = ["OpenAlexClient", "ApiResponse", "RequestStats", "FetchCancelled", "cost_kind", "CREDIT_COSTS",
           "CONTENT_URL", "decode_abstract", "work_row"]
