import { test, expect } from '@playwright/test';

// The console runs under its Content-Security-Policy: every script it needs carries the page's nonce, the
// WASM client compiles, the live stream connects; the browser reports no violation anywhere an agent goes.
test('o console funciona sob a política de segurança de conteúdo, sem nenhuma violação', async ({ page }) => {
  const refused: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const seen = ((window as unknown as { violations?: string[] }).violations ??= []);
      seen.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const violations = () => page.evaluate(() => (window as unknown as { violations?: string[] }).violations ?? []);

  const first = await page.goto('/');
  const policy = first?.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("'wasm-unsafe-eval'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(first?.headers()['x-frame-options']).toBe('DENY');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  expect(await violations()).toEqual([]);

  for (const item of ['CRM → Contatos', 'Administração']) {
    await page.getByRole('button', { name: 'Mais opções' }).click();
    await page.getByRole('menuitem', { name: item }).click();
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
    await page.goto(page.url());
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
    expect(await violations(), item).toEqual([]);
    await page.goto('/');
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  }
  expect(refused).toEqual([]);
});
