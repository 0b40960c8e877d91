import { test, expect } from '@playwright/test';
import { contactWrites, takeConversation, uniqueMobile } from './helpers';

// Issue #19: "Responder" quotes the contact's message in the answer (WhatsApp's context, the Send API's
// reply_to); "Reagir" puts an emoji on a message, and the same emoji again takes it off. Messenger and
// Instagram take only ❤️, and only on the person's message.
test('responder cita a mensagem e reagir põe e tira o emoji', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Cliente Resposta ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Qual o prazo de entrega?');
  const pane = await takeConversation(page, name);
  const asked = pane.locator('.message.inbound').filter({ hasText: 'Qual o prazo de entrega?' });

  await asked.hover();
  await asked.getByRole('button', { name: 'Responder' }).click();
  const replying = page.locator('.composer .replying');
  await expect(replying).toContainText('Respondendo a');
  await expect(replying.locator('.quoted')).toHaveText('Qual o prazo de entrega?');
  const box = page.getByRole('textbox', { name: 'Mensagem', exact: true });
  await expect(box).toBeFocused();
  await box.fill('Chega amanhã.');
  await page.screenshot({ path: '../target/screens/resposta-1366.png' });
  await box.press('Enter');
  const answer = pane.locator('.message.outbound').filter({ hasText: 'Chega amanhã.' });
  await expect(answer.getByLabel('Respondendo a')).toHaveText('Qual o prazo de entrega?');
  await expect(replying).toHaveCount(0);
  await expect(answer).toHaveAttribute('data-status', /sent|delivered|read/);

  await asked.hover();
  await asked.getByRole('button', { name: 'Reagir', exact: true }).click();
  await asked.getByRole('button', { name: 'Reagir com 👍' }).click();
  await expect(asked.getByLabel('Sua reação', { exact: true })).toHaveText('👍');
  await page.screenshot({ path: '../target/screens/reacao-1366.png' });
  // The same again takes it off.
  await asked.hover();
  await asked.getByRole('button', { name: 'Reagir', exact: true }).click();
  await asked.getByRole('button', { name: 'Remover reação' }).click();
  await expect(asked.locator('.reaction.mine')).toHaveCount(0);

  // "Responder" chosen and then cancelled sends a plain text.
  await asked.hover();
  await asked.getByRole('button', { name: 'Responder' }).click();
  await replying.getByRole('button', { name: 'Cancelar resposta' }).click();
  await expect(replying).toHaveCount(0);

  await page.setViewportSize({ width: 360, height: 740 });
  await asked.getByRole('button', { name: 'Responder' }).click();
  await expect(replying).toBeVisible();
  await page.screenshot({ path: '../target/screens/resposta-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('no Instagram só há ❤️, e só na mensagem da pessoa', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Insta Reação ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Tem tamanho M?', '0', 'instagram');
  const pane = await takeConversation(page, name);
  const asked = pane.locator('.message.inbound').filter({ hasText: 'Tem tamanho M?' });
  await asked.hover();
  await asked.getByRole('button', { name: 'Reagir', exact: true }).click();
  const palette = asked.getByRole('group', { name: 'Reações' });
  await expect(palette.getByRole('button')).toHaveText(['❤️']);
  await palette.getByRole('button', { name: 'Reagir com ❤️' }).click();
  await expect(asked.getByLabel('Sua reação', { exact: true })).toHaveText('❤️');

  await page.getByRole('textbox', { name: 'Mensagem', exact: true }).fill('Temos, sim.');
  await page.getByRole('textbox', { name: 'Mensagem', exact: true }).press('Enter');
  const answer = pane.locator('.message.outbound').filter({ hasText: 'Temos, sim.' });
  await expect(answer.getByRole('button', { name: 'Responder' })).toBeAttached();
  await expect(answer.getByRole('button', { name: 'Reagir', exact: true })).toHaveCount(0);
});
