# call-emulator: both APIs on port 8000.
# Configured through the environment (any CALL_EMULATOR_* setting), so
# CALL_EMULATOR_HOST and CALL_EMULATOR_PORT can be changed; the health check
# follows the port. Listening on 0.0.0.0, the control plane needs a token:
#   docker run -p 8000:8000 -e CALL_EMULATOR_CONTROL_TOKEN=change-me call-emulator
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CALL_EMULATOR_HOST=0.0.0.0 \
    CALL_EMULATOR_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install . \
    && useradd --create-home --uid 10001 emulator

USER emulator
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD python -c "import os,sys,urllib.request; port = os.environ.get('CALL_EMULATOR_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/_emulator/ready', timeout=2).status == 200 else 1)"
CMD ["call-emulator", "serve"]
