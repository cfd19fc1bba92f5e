# vendorintel application image. Build args:
#   PIP_EXTRA_INDEX_URL  an index serving CPU-only torch wheels keeps the image small (optional)
FROM python:3.11-slim

ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VENDORINTEL_DATA_DIR=/data \
    VENDORINTEL_INBOX=/inbox \
    VENDORINTEL_PROMPTS_DIR=/app/prompts

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
COPY prompts ./prompts
RUN pip install -c constraints.txt .

VOLUME ["/data", "/inbox"]
ENTRYPOINT ["vendorintel"]
CMD ["ingest"]
