# 12345 hotline router image: Node 20, the locked production dependencies (npm ci), TypeScript run through tsx.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so that a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src

# In a container the router listens on all interfaces; it then refuses to start with the default tokens, so
# HOTLINE_ADMIN_TOKEN and HOTLINE_AGENT_TOKEN_SECRET must be set (docker-compose.yml requires them).
ENV HOTLINE_HTTP_HOST=0.0.0.0 \
    HOTLINE_HTTP_PORT=8080 \
    HOTLINE_ESL_LISTEN_HOST=0.0.0.0 \
    HOTLINE_ESL_LISTEN_PORT=8084
EXPOSE 8080 8084

USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
