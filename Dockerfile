# The cxrkg app image (docker-compose.yml's `app` service): the package and its CLI.
#
# Build it where the network reaches PyPI and the PyTorch CPU wheel index:
#   docker compose build app        (or: docker build -t cxrkg .)
# The workplace this project is developed in reaches neither Docker nor that index, so
# the image is not built by CI; tests/test_docker_compose.py checks this file's shape.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CXRKG_HOME=/var/lib/cxrkg

# torch first, from the CPU-only wheels: the pin in pyproject.toml would otherwise pull
# several GB of CUDA packages that the app does not use.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"

WORKDIR /opt/cxrkg
COPY . .
RUN pip install . \
    && useradd --system --create-home --home-dir /home/cxrkg cxrkg \
    && mkdir -p /var/lib/cxrkg \
    && chown cxrkg /var/lib/cxrkg

USER cxrkg
VOLUME ["/var/lib/cxrkg"]
EXPOSE 8501
CMD ["cxrkg", "app", "--host", "0.0.0.0", "--port", "8501"]
