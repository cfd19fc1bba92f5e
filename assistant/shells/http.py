"""What every HTTP route shares: the service and settings of the running app, the API key
check, and JSON bodies held to what JSON text can carry."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from assistant.app import VendorIntel
from assistant.core.settings import Settings

MISSING_KEY = (
    "Missing or wrong API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY', with the "
    "key the server has in VENDORINTEL_API_KEY."
)


def service(request: Request) -> VendorIntel:
    intel: VendorIntel = request.app.state.intel
    return intel


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Intel = Annotated[VendorIntel, Depends(service)]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
bearer = HTTPBearer(auto_error=False)


def key_is_valid(settings: Settings, given: str | None) -> bool:
    """True when no key is configured, or when `given` is the configured one."""
    if settings.serving.api_key is None:
        return True
    expected = settings.serving.api_key.get_secret_value()
    # Compared in constant time, so response times do not reveal how much of a guess was right.
    return hmac.compare_digest((given or "").encode(), expected.encode())


def require_api_key(
    settings: Annotated[Settings, Depends(app_settings)],
    header_key: Annotated[str | None, Security(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    """With VENDORINTEL_API_KEY set, refuse a request that does not carry that key."""
    given = header_key or (credentials.credentials if credentials else "")
    if not key_is_valid(settings, given):
        raise HTTPException(
            status_code=401, detail=MISSING_KEY, headers={"WWW-Authenticate": "Bearer"}
        )


class StrictJSONRequest(Request):
    """A request whose JSON body must be JSON text, which cannot carry NaN, Infinity or a lone
    surrogate (Python's parser accepts them; they could not even be quoted back in a 422)."""

    async def json(self) -> Any:
        body = await super().json()
        try:
            json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        except UnicodeEncodeError as exc:
            problem = "a lone surrogate, which is not text: send UTF-8 text"
            raise not_json_text(problem) from exc
        except ValueError as exc:
            problem = "NaN or Infinity, which JSON cannot carry: send a finite number"
            raise not_json_text(problem) from exc
        return body


def not_json_text(problem: str) -> HTTPException:
    return HTTPException(status_code=400, detail=f"The JSON body holds {problem}.")


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strictly(request: Request) -> Response:
            return await handle(StrictJSONRequest(request.scope, request.receive))

        return strictly
