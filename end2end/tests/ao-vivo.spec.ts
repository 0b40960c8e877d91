import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, uniqueMobile } from './helpers';

// Live updates: with the console open, what happens elsewhere (the contact writes, a status comes back from
// WhatsApp, the queue flushes) shows up by itself, over server-sent events, without reloading the page and
// well within the time a refresh would have taken. The page is marked once; the mark survives, so it was
// never reloaded.
const LIVE = { timeout: 3_000 };

test('com o console aberto, uma mensagem nova, um status e a janela aparecem sem recarregar a página', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Ao vivo ${phone.typed.slice(-4)}`;
  const errors = await openAtendimentos(page);
  await page.evaluate(() => ((window as unknown as { marca: number }).marca = 42));
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  const waiting = page.getByRole('tabpanel', { name: 'Não atribuídos' });
  await expect(waiting.getByRole('listitem').filter({ hasText: name })).toBeHidden();

  // Another tab plays the contact.
  const contact = await page.context().newPage();
  await contactWrites(contact, number, name, 'Oi, vocês abrem amanhã?');
  const row = waiting.getByRole('listitem').filter({ hasText: name });
  await expect(row).toContainText('Oi, vocês abrem amanhã?', LIVE);
  await expect(row).toContainText(/Janela: 23 h 5\d min/);

  // The agent opens it (marked in the list), takes it (it leaves "Não atribuídos" by itself) and answers
  // with Enter (Shift+Enter would break the line); the answer's status moves on by itself.
  await row.getByRole('button').first().click();
  await expect(row.getByRole('button', { name })).toHaveAttribute('aria-current', 'true');
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await pane.getByRole('button', { name: 'Assumir' }).click();
  await expect(pane.getByText(/Atendimento atribuído/)).toBeAttached(LIVE);
  await expect(row).toBeHidden(LIVE);
  const composer = pane.getByLabel('Mensagem', { exact: true });
  await composer.fill('Abrimos às 9h!');
  await composer.press('Enter');
  const answer = pane.getByRole('listitem').filter({ hasText: 'Abrimos às 9h!' });
  await expect(composer).toHaveValue('');
  await expect(answer).toContainText(/Entregue|Lida/, LIVE);

  // The contact writes again: the message appears in the open conversation.
  await contactWrites(contact, number, name, 'Perfeito, obrigado!');
  await expect(pane.getByRole('listitem').filter({ hasText: 'Perfeito, obrigado!' })).toBeVisible(LIVE);
  await expect(page.getByRole('status').filter({ hasText: 'Sem atualização ao vivo' })).toBeHidden();
  expect(await page.evaluate(() => (window as unknown as { marca?: number }).marca)).toBe(42);
  expect(errors).toEqual([]);
});

// One clock for the list and the conversation: right after the contact writes, and after the live stream
// refreshes the open conversation, the row and the header count the same time down, and a 24-hour window
// never reads more than 24 hours ("1 d 0 h" was seen in the row while the header said "23 h 59 min").
test('a janela conta o mesmo tempo na lista e no cabeçalho, e nunca mais de 24 h', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Relógio ${phone.typed.slice(-4)}`;
  const errors = await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  const waiting = page.getByRole('tabpanel', { name: 'Não atribuídos' });
  const contact = await page.context().newPage();
  await contactWrites(contact, number, name, 'Que horas fecha?');
  const row = waiting.getByRole('listitem').filter({ hasText: name });
  await expect(row).toContainText('Que horas fecha?', LIVE);
  await row.getByRole('button').first().click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  const header = pane.getByText(/Janela de conversa aberta: fecha em/);
  const same = async () => {
    const inRow = (await row.textContent()) ?? '';
    const inHeader = (await header.textContent()) ?? '';
    const left = inRow.match(/Janela: (\d+ h \d\d min)/)?.[1];
    expect(left, inRow).toBeTruthy();
    expect(inHeader).toContain(`fecha em ${left}.`);
    expect(`${inRow} ${inHeader}`).not.toMatch(/\d d \d+ h/);
    expect(left).toMatch(/^(24 h 00|23 h 5\d) min$/);
  };
  await expect(header).toBeVisible();
  await same();
  // The contact writes again while the conversation is open: the live stream refreshes both.
  await contactWrites(contact, number, name, 'E amanhã?');
  await expect(pane.getByRole('listitem').filter({ hasText: 'E amanhã?' })).toBeVisible(LIVE);
  await expect(row).toContainText('E amanhã?', LIVE);
  await same();
  expect(errors).toEqual([]);
});
