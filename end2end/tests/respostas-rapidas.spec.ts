import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, takeConversation, uniqueMobile } from './helpers';

// Issue #19: "Respostas rápidas" kept on a screen of their own and inserted by typing "/" in the message box,
// with their variables filled from the conversation; the protocol number shown and found by the search.
test('uma resposta rápida salva entra na mensagem pelo "/" com o nome, o agente e o protocolo', async ({ page }) => {
  const suffix = String(Date.now() % 100000);
  const title = `Boas-vindas ${suffix}`;

  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Respostas rápidas' }).click();
  await expect(page.getByRole('heading', { name: 'Respostas rápidas', level: 1 })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();

  const form = page.getByRole('form', { name: 'Resposta rápida' });
  await form.getByLabel('Título').fill(title);
  await form.getByLabel('Texto').fill('Olá, {{primeiro_nome}}! Sou {{agente}}. Seu protocolo é {{protocolo}}. {{nme}}');
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toHaveText(/A variável \{\{nme\}\} não existe/);
  await form.getByLabel('Texto').fill('Olá, {{primeiro_nome}}! Sou {{agente}}. Seu protocolo é {{protocolo}}.');
  await expect(form.getByLabel('Prévia')).toContainText('Olá, Maria! Sou');
  await expect(form.getByLabel('Equipe')).toHaveValue('');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: '../target/screens/respostas-rapidas-1366.png' });
  await form.getByRole('button', { name: 'Salvar' }).click();
  const list = page.getByRole('list', { name: 'Respostas rápidas' });
  const row = list.getByRole('listitem').filter({ hasText: title });
  await expect(row).toContainText('Todas as equipes');
  await expect(form.getByLabel('Título')).toHaveValue('');

  // The same title again (case and accents aside) is refused by the server, and nothing changes.
  await form.getByLabel('Título').fill(title.toUpperCase());
  await form.getByLabel('Texto').fill('Outro texto');
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(form.getByRole('alert')).toHaveText(/Já existe uma resposta rápida/);
  await expect(list.getByRole('listitem').filter({ hasText: title })).toHaveCount(1);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/respostas-rapidas-360.png', fullPage: true });
  await page.setViewportSize({ width: 1366, height: 768 });

  // A contact writes; the agent takes the conversation and sees its protocol.
  const phone = uniqueMobile();
  const name = `Maria Rápida ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi, tudo bem?');
  const pane = await takeConversation(page, name);
  const protocolLine = pane.locator('.protocol');
  await expect(protocolLine).toHaveText(/^Protocolo \d{4}-\d{6,}$/);
  const protocol = (await protocolLine.textContent())!.replace('Protocolo ', '');

  const box = pane.getByLabel('Mensagem');
  await box.fill(`/${title.split(' ')[0].toLowerCase().slice(0, 4)}`);
  const options = pane.getByRole('listbox', { name: 'Respostas rápidas' });
  await expect(options.getByRole('option').first()).toBeVisible();
  // Typing more of the title narrows the list to this run's answer.
  await box.fill(`/boas-vindas ${suffix}`);
  await expect(options.getByRole('option')).toHaveCount(1);
  await expect(options.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
  await page.screenshot({ path: '../target/screens/respostas-rapidas-barra-1366.png' });
  await box.press('Enter');
  await expect(options).toBeHidden();
  await expect(box).toHaveValue(new RegExp(`^Olá, Maria! Sou .+\\. Seu protocolo é ${protocol}\\.$`));
  // Inserted, not sent: the agent may still change it; Enter then sends it as any message.
  await expect(pane.getByRole('list', { name: 'Mensagens' })).not.toContainText('Seu protocolo é');
  await box.press('Enter');
  await expect(pane.getByRole('list', { name: 'Mensagens' })).toContainText(`Seu protocolo é ${protocol}.`);

  // Escape closes the list and leaves what was typed.
  await box.fill('/nada-que-exista');
  await expect(pane.getByText('Nenhuma resposta rápida encontrada.')).toBeVisible();
  // Enter while the list is open never sends the search to the contact.
  await box.press('Enter');
  await expect(box).toHaveValue('/nada-que-exista');
  await expect(pane.getByRole('list', { name: 'Mensagens' })).not.toContainText('/nada-que-exista');
  await box.press('Escape');
  await expect(options).toBeHidden();
  await expect(box).toHaveValue('/nada-que-exista');
  await box.fill('');

  // The protocol typed in the search finds the conversation.
  await page.getByRole('searchbox', { name: 'Pesquisar por nome, número ou mensagem' }).fill(protocol);
  const byProtocol = page.getByRole('list', { name: 'Atendimento pelo protocolo' });
  await expect(byProtocol).toContainText(name);
  await byProtocol.getByRole('button', { name: `Protocolo ${protocol}` }).click();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();

  // Deleted, it is gone from the screen (and from the "/" list).
  await page.goto('/respostas-rapidas');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const saved = page.getByRole('list', { name: 'Respostas rápidas' }).getByRole('listitem').filter({ hasText: title });
  await saved.getByRole('button', { name: 'Apagar' }).click();
  await saved.getByRole('button', { name: 'Sim, apagar' }).click();
  await expect(page.getByRole('list', { name: 'Respostas rápidas' }).getByRole('listitem').filter({ hasText: title })).toHaveCount(0);
});

// "Anexo": a quick answer keeps a file; "/" inserts its text and attaches the file, which goes with the text
// (on WhatsApp the text is the document's caption).
test('uma resposta rápida com anexo envia o arquivo com o texto como legenda', async ({ page }) => {
  const suffix = String(Date.now() % 100000);
  const title = `Tabela ${suffix}`;
  await page.goto('/respostas-rapidas');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const form = page.getByRole('form', { name: 'Resposta rápida' });
  await form.getByLabel('Título').fill(title);
  await form.getByLabel('Texto').fill('Segue a tabela, {{primeiro_nome}}.');
  // A file that is not what its name says is refused by the server, with the reason.
  await form.getByLabel('Anexo: escolher arquivo').setInputFiles({ name: 'falsa.pdf', mimeType: 'application/pdf', buffer: Buffer.from('not a pdf') });
  await expect(form.getByRole('alert').first()).toContainText('não é um arquivo PDF de verdade');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  await form.getByLabel('Anexo: escolher arquivo').setInputFiles({ name: 'tabela.pdf', mimeType: 'application/pdf', buffer: pdf });
  await expect(form.getByText('📎 tabela.pdf')).toBeVisible();
  await form.getByRole('button', { name: 'Salvar' }).click();
  const row = page.getByRole('list', { name: 'Respostas rápidas' }).getByRole('listitem').filter({ hasText: title });
  await expect(row).toContainText('📎 tabela.pdf');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: '../target/screens/respostas-rapidas-anexo-1366.png' });

  const phone = uniqueMobile();
  const name = `Maria Tabela ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Qual o preço?');
  const pane = await takeConversation(page, name);
  const box = pane.getByLabel('Mensagem');
  await box.fill(`/tabela ${suffix}`);
  await expect(pane.getByRole('listbox', { name: 'Respostas rápidas' }).getByRole('option')).toHaveCount(1);
  await box.press('Enter');
  await expect(box).toHaveValue('Segue a tabela, Maria.');
  const attached = pane.getByRole('group', { name: 'Anexo da resposta rápida' });
  await expect(attached).toContainText('tabela.pdf');
  await expect(attached).toContainText('O texto vai como legenda do arquivo.');
  await page.screenshot({ path: '../target/screens/respostas-rapidas-anexo-composer-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/respostas-rapidas-anexo-composer-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });
  await box.press('Enter');
  await expect(attached).toHaveCount(0);
  const sent = pane.getByRole('list', { name: 'Mensagens' }).getByRole('listitem').filter({ hasText: 'tabela.pdf' });
  await expect(sent).toContainText('Segue a tabela, Maria.');
  await expect(sent).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
});
