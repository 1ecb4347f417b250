// Sends what a shop backend would with one CDP SDK, its defaults but the host (and no retries).
// Usage: node send.js <segment|rudderstack|jitsu> <host> <write key> <user id>
// Prints {"errors": [...]} once every event was flushed.
"use strict";
const [sdk, host, writeKey, userId] = process.argv.slice(2);
const errors = [];

async function segment() {
  const { Analytics } = require("@segment/analytics-node");
  // It resolves `path` against `host` as a URL, so the connector's path goes in `path`.
  const url = new URL(host);
  const analytics = new Analytics({ writeKey, host: url.origin, path: `${url.pathname}/v1/batch`, maxRetries: 0 });
  analytics.on("error", (error) => errors.push(String(error && (error.reason || error.message || error))));
  analytics.identify({ userId, traits: { email: `${userId}@example.com` } });
  analytics.track({ userId, event: "Order Completed", properties: { revenue: 25 } });
  analytics.track({ userId, event: "Product Viewed", properties: { sku: "45790-32" } });
  await analytics.closeAndFlush();
}

async function rudderstack() {
  const Analytics = require("@rudderstack/rudder-sdk-node");
  const client = new Analytics(writeKey, {
    dataPlaneUrl: host,
    retryCount: 0,
    errorHandler: (error) => errors.push(String(error && (error.message || error))),
  });
  client.identify({ userId, traits: { email: `${userId}@example.com` } });
  client.track({ userId, event: "Order Completed", properties: { revenue: 25 } });
  client.track({ userId, event: "Product Viewed", properties: { sku: "45790-32" } });
  await client.flush();
}

async function jitsu() {
  const { jitsuAnalytics } = require("@jitsu/js");
  const analytics = jitsuAnalytics({
    host,
    writeKey,
    s2s: true,
    errorPolicy: "rethrow",
  });
  await analytics.identify(userId, { email: `${userId}@example.com` });
  await analytics.track("Order Completed", { revenue: 25 });
  await analytics.track("Product Viewed", { sku: "45790-32" });
}

const run = { segment, rudderstack, jitsu }[sdk];
run()
  .catch((error) => errors.push(String(error && (error.message || error))))
  .finally(() => {
    process.stdout.write(JSON.stringify({ errors }) + "\n");
  });
