# vendorintel application image: `vendorintel serve` on port 8000. Build args:
#   PIP_EXTRA_INDEX_URL  an index serving CPU-only torch wheels keeps the image small (optional)
FROM python:3.11-slim

ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VENDORINTEL_DATA_DIR=/data \
    VENDORINTEL_INBOX=/inbox \
    VENDORINTEL_PROMPTS_DIR=/app/prompts \
    CHAINLIT_APP_ROOT=/app

WORKDIR /app
COPY pyproject.toml constraints.txt README.md chainlit.md ./
COPY .chainlit ./.chainlit
COPY assistant ./assistant
COPY ingest ./ingest
COPY prompts ./prompts
# Editable, so the chat module and prompts are read from /app as in a checkout.
RUN pip install -c constraints.txt -e '.[llm]'

VOLUME ["/data", "/inbox"]
EXPOSE 8000
ENTRYPOINT ["vendorintel"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
