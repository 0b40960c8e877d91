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
