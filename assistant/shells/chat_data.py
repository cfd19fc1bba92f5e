"""A minimal Chainlit data layer: it only keeps feedback (in the service's FeedbackStore).

Chainlit shows the thumbs only when a data layer is configured; threads and steps are not kept.
"""

from __future__ import annotations

from typing import Any

from chainlit.data.base import BaseDataLayer
from chainlit.types import Feedback, PageInfo, PaginatedResponse

from assistant.app import VendorIntel


class FeedbackOnlyDataLayer(BaseDataLayer):
    def __init__(self, intel: VendorIntel) -> None:
        self.store = intel.feedback

    async def upsert_feedback(self, feedback: Feedback) -> str:
        self.store.rate(feedback.forId, int(feedback.value), feedback.comment)
        return feedback.id or feedback.forId

    async def delete_feedback(self, feedback_id: str) -> bool:
        self.store.unrate(feedback_id)
        return True

    # Nothing else is persisted: chat history lives in the session only.
    async def get_user(self, identifier: str) -> Any:
        return None

    async def create_user(self, user: Any) -> Any:
        return None

    async def create_element(self, element: Any) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> Any:
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    async def create_step(self, step_dict: Any) -> None:
        return None

    async def update_step(self, step_dict: Any) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def get_thread_author(self, thread_id: str) -> str:
        return ""

    async def delete_thread(self, thread_id: str) -> None:
        return None

    async def list_threads(self, pagination: Any, filters: Any) -> PaginatedResponse[Any]:
        return PaginatedResponse(
            data=[], pageInfo=PageInfo(hasNextPage=False, startCursor=None, endCursor=None)
        )

    async def get_thread(self, thread_id: str) -> Any:
        return None

    async def update_thread(self, thread_id: str, *args: Any, **kwargs: Any) -> None:
        return None

    async def build_debug_url(self) -> str:
        return ""

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []

    async def close(self) -> None:
        return None
