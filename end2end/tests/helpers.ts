import { expect, Page } from '@playwright/test';

/** Opens the Atendimentos screen and waits until the WASM client has hydrated it. */
export async function openAtendimentos(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  return errors;
}

/**
 * A number no other test uses: DDD 11, a mobile "99xxxxxxx" built from a counter and the time, so that
 * without its ninth digit it still reads as a mobile ("9xxxxxxx").
 */
let counter = 0;
export function uniqueMobile(): { typed: string; shown: string } {
  counter += 1;
  const n = ((Date.now() % 1000000) * 10 + counter) % 10000000;
  const local = `99${String(n).padStart(7, '0')}`;
  return {
    typed: `(11) ${local.slice(0, 5)}-${local.slice(5)}`,
    shown: `+55 (11) ${local.slice(0, 5)}-${local.slice(5)}`,
  };
}
