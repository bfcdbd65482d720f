# One image for every Portico app; docker-compose.yml picks the app with the command.
FROM node:24-slim AS build
WORKDIR /portico
COPY package.json package-lock.json ./
COPY libs/ libs/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /portico
COPY --from=build /portico/package.json ./
COPY --from=build /portico/node_modules node_modules/
COPY --from=build /portico/dist dist/
COPY --from=build /portico/libs libs/
USER node
CMD ["node", "dist/apps/gateway/main.js"]
