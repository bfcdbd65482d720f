import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';

/** Debian's chromium by default; CHROMIUM_PATH points elsewhere (.ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Runs in the page before any of its scripts, so a violation during start-up is seen too. A string,
 * because this project compiles without the DOM library.
 */
const RECORD_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sample);
  });
`;

describe('Swagger UI renders under the gateway CSP, in a real browser', () => {
  let gateway: StartedGateway | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    gateway = await startGateway({
      playerAddress: `127.0.0.1:${await freePort()}`,
      tableAddress: `127.0.0.1:${await freePort()}`,
      waitFor: 'live',
    });
    // Root in CI containers: Chromium's sandbox needs user namespaces it does not get there.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll([gateway?.process]);
  });

  it('lists the operations with no CSP violation and no page error', async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (message) => {
      // Chromium words it "Refused to load…" or "…violates the following Content Security Policy directive…".
      if (/Refused to|Content Security Policy/.test(message.text())) refused.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript({ content: RECORD_VIOLATIONS });

    const response = await page.goto(`${gateway!.baseUrl}/api/docs`, { waitUntil: 'load', timeout: 15_000 });
    expect(response?.status()).toBe(200);
    const policy = response?.headers()['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 15_000 });

    expect(await page.locator('.opblock').count()).toBeGreaterThan(3);
    await expect.poll(() => page.locator('.opblock-summary-path', { hasText: '/api/v1/lobby' }).count()).toBeGreaterThan(0);
    expect(await page.evaluate<unknown>('window.cspViolations')).toEqual([]);
    expect(refused).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
