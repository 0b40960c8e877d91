import { test, expect } from '@playwright/test';

// Time to interactive: from the start of navigation to the moment the WASM client has hydrated the
// server-rendered Atendimentos screen (the "data-hydrated" mark its start sets), in headless Chromium over
// loopback, with the cache empty. The figure is printed for the README; the budget catches a regression.
test('o console fica interativo em menos de 3 s, com o WASM comprimido no caminho', async ({ browser }) => {
  const context = await browser.newContext({ storageState: test.info().project.use.storageState as string });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const measured = await page.evaluate(() => {
    const wasm = performance
      .getEntriesByType('resource')
      .find((e) => e.name.endsWith('.wasm')) as PerformanceResourceTiming | undefined;
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return {
      interactive: performance.now(),
      firstByte: navigation.responseStart,
      html: navigation.encodedBodySize,
      wasmOnWire: wasm?.encodedBodySize ?? 0,
      wasmDecoded: wasm?.decodedBodySize ?? 0,
    };
  });
  console.log(
    `TTI ${measured.interactive.toFixed(0)} ms (first byte ${measured.firstByte.toFixed(0)} ms, HTML ${measured.html} B, ` +
      `WASM ${measured.wasmOnWire} B on the wire, ${measured.wasmDecoded} B decoded)`,
  );
  expect(measured.wasmOnWire).toBeGreaterThan(0);
  expect(measured.wasmOnWire).toBeLessThan(measured.wasmDecoded); // compressed on the way
  expect(measured.interactive).toBeLessThan(3000);
  await context.close();
});

// Issue #20: the same over a slow mobile link (Chromium's network throttling: 4 Mbit/s down, 150 ms of round
// trip), the first visit with an empty cache and a second one, when the client's files (named by their
// content, kept for a year) come from the browser's cache. Printed for the README; the target is 2.5 s for the
// first visit, and the spec fails above twice that.
test('numa conexão de 4 Mbit/s com 150 ms, o console fica interativo e, na segunda visita, vem do cache', async ({ browser }) => {
  const context = await browser.newContext({ storageState: test.info().project.use.storageState as string });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: 4_000_000 / 8,
    uploadThroughput: 1_000_000 / 8,
  });
  const visit = async () => {
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 15_000 });
    return page.evaluate(() => {
      const wasm = performance
        .getEntriesByType('resource')
        .find((e) => e.name.endsWith('.wasm')) as PerformanceResourceTiming | undefined;
      return { interactive: performance.now(), wasmTransferred: wasm?.transferSize ?? -1 };
    });
  };
  await page.goto('/');
  const first = await visit();
  await page.goto('/');
  const second = await visit();
  console.log(
    `TTI at 4 Mbit/s, 150 ms: first visit ${first.interactive.toFixed(0)} ms (WASM ${first.wasmTransferred} B transferred), ` +
      `second visit ${second.interactive.toFixed(0)} ms (WASM ${second.wasmTransferred} B transferred)`,
  );
  expect(second.wasmTransferred).toBe(0); // from the browser's cache, not asked again
  expect(first.interactive).toBeLessThan(5000);
  expect(second.interactive).toBeLessThan(first.interactive);
  await context.close();
});
