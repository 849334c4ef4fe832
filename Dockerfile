# Threadwork: one slim image, two entry points. `threadwork serve --http` is the Slack listener
# (put it behind a load balancer); `threadwork worker` runs tasks (start as many as you need).
# Runs as an unprivileged user; the admin config is mounted at $THREADWORK_CONFIG.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY orchestrator orchestrator
COPY plugins plugins
COPY connectors connectors
RUN python -m venv /opt/threadwork \
 && /opt/threadwork/bin/pip install --no-cache-dir . \
 && python -m venv /opt/sandbox \
 && /opt/sandbox/bin/pip install --no-cache-dir -r connectors/sandbox/requirements.txt

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/threadwork threadwork \
 && mkdir -p /data/workspaces /etc/threadwork \
 && chown threadwork /data/workspaces
COPY --from=build /opt/threadwork /opt/threadwork
COPY --from=build /opt/sandbox /opt/sandbox
ENV PATH=/opt/threadwork/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    THREADWORK_CONFIG=/etc/threadwork/threadwork.yaml \
    THREADWORK_WORKSPACES=/data/workspaces \
    THREADWORK_SANDBOX_VENV=/opt/sandbox \
    THREADWORK_LOG_FORMAT=json
USER threadwork
WORKDIR /home/threadwork
EXPOSE 3000 9100
ENTRYPOINT ["threadwork"]
CMD ["serve", "--http", "--port", "3000"]
