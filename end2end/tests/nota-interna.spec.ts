import { test, expect } from '@playwright/test';
import { contactWrites, takeConversation, uniqueMobile } from './helpers';

// Issue #19: "Nota interna" — written in the conversation, shown apart, never sent to the contact.
test('uma nota interna fica no atendimento, destacada, e não é enviada ao contato', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Nota ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Quero a segunda via do boleto');
  const pane = await takeConversation(page, name);
  const messages = pane.getByRole('list', { name: 'Mensagens' });
  await expect(messages.getByRole('listitem')).toHaveCount(1);

  await pane.getByRole('button', { name: 'Nota interna' }).click();
  await expect(pane.getByRole('button', { name: 'Nota interna' })).toHaveAttribute('aria-pressed', 'true');
  const box = pane.getByRole('textbox', { name: 'Nota interna' });
  await expect(pane.getByRole('status')).toContainText('não é enviada ao contato');
  await box.fill('Boleto vencido: conferir com o financeiro. @Administrador, pode ver?');
  await page.setViewportSize({ width: 1366, height: 768 });
  await box.press('Enter');

  const note = messages.getByRole('listitem', { name: 'Nota interna' });
  await expect(note).toContainText('Boleto vencido: conferir com o financeiro.');
  await expect(note).toContainText('Nota interna · Administrador');
  await expect(note).toContainText('Para: Administrador');
  await expect(box).toHaveValue('');
  await page.screenshot({ path: '../target/screens/nota-interna-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/nota-interna-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });

  // Nothing went to the contact: still the contact's one message, and no outbound bubble.
  await expect(messages.locator('li.message.outbound')).toHaveCount(0);
  await expect(messages.locator('li.message.inbound')).toHaveCount(1);
  // Each mode keeps its own text: a note half-written does not follow into "Mensagem".
  await box.fill('Rascunho da nota');
  await pane.getByRole('button', { name: 'Mensagem', exact: true }).click();
  await expect(pane.getByLabel('Mensagem', { exact: true })).toHaveValue('');
  await pane.getByRole('button', { name: 'Nota interna' }).click();
  await expect(box).toHaveValue('Rascunho da nota');
  await box.fill('');
  // Back to "Mensagem": the composer sends to the contact again.
  await pane.getByRole('button', { name: 'Mensagem', exact: true }).click();
  await pane.getByLabel('Mensagem', { exact: true }).fill('Olá! Já vou verificar.');
  await pane.getByLabel('Mensagem', { exact: true }).press('Enter');
  await expect(messages.locator('li.message.outbound')).toHaveCount(1);
  // The note stays after a reload.
  await page.reload();
  await page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name, exact: true }).click();
  await expect(pane.getByRole('list', { name: 'Mensagens' }).getByRole('listitem', { name: 'Nota interna' })).toContainText('Boleto vencido');
});

// "@" in a note lists the agents who may answer the conversation; Enter completes the name.
test('na nota, @ lista os agentes e Enter completa o nome', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Menção ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Preciso de ajuda');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Nota interna' }).click();
  const box = pane.getByRole('textbox', { name: 'Nota interna' });
  await box.pressSequentially('Veja isto @adm');
  const list = pane.getByRole('listbox', { name: 'Agentes para mencionar' });
  await expect(list.getByRole('option')).toHaveText(['@Administrador']);
  await page.screenshot({ path: '../target/screens/mencao-1366.png' });
  await box.press('Enter');
  await expect(box).toHaveValue('Veja isto @Administrador ');
  await expect(list).toHaveCount(0);
  await box.pressSequentially('por favor');
  await box.press('Enter');
  const note = pane.getByRole('list', { name: 'Mensagens' }).getByRole('listitem', { name: 'Nota interna' });
  await expect(note).toContainText('Veja isto @Administrador por favor');
  await expect(note).toContainText('Para: Administrador');
  // In "Mensagem" an @ is just text: no list.
  await pane.getByRole('button', { name: 'Mensagem', exact: true }).click();
  await pane.getByLabel('Mensagem', { exact: true }).pressSequentially('@adm');
  await expect(list).toHaveCount(0);
  await pane.getByLabel('Mensagem', { exact: true }).fill('');
});
