import { test, expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { contactWrites, openConversation, takeConversation, uniqueMobile } from './helpers';

// Issue #18, the agent's side: files from the agent's own computer. "Anexar" → "Escolher arquivos do
// computador" (several at once), a file dropped on the conversation, a screenshot pasted into the message box;
// each waits in "Arquivos a enviar" with its preview, size and caption, checked at once; the upload shows its
// progress; the photo then shows in the conversation. A file written while the window waits for the contact
// is held with the queue and goes out when the contact answers.
const PHOTO = fs.readFileSync(path.join(__dirname, '../../server/src/sandbox/samples/amostra.jpg'));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

/** A file dropped on `target` (a real DataTransfer carrying a File, as the browser makes for a drop). */
async function dropFile(page: Page, target: ReturnType<Page['getByRole']>, name: string, type: string, bytes: Buffer) {
  const dataTransfer = await page.evaluateHandle(
    ([name, type, bytes]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes as number[])], name as string, { type: type as string }));
      return transfer;
    },
    [name, type, Array.from(bytes)] as const,
  );
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

test('Anexar: arquivos do computador pelo seletor, arrastando e colando, com prévia, progresso e a foto enviada', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Anexo ${phone.typed.slice(-4)}`;
  await contactWrites(page, number, name, 'Pode mandar a foto do bolo?');
  const pane = await takeConversation(page, name);

  await pane.getByRole('button', { name: 'Anexar' }).click();
  await expect(pane.getByRole('form', { name: 'Anexar arquivo' })).toBeVisible();
  await page.screenshot({ path: '../target/screens/anexos-anexar-1366.png' });
  await pane.getByRole('form', { name: 'Anexar arquivo' }).getByLabel('Escolher arquivos do computador').setInputFiles([
    { name: 'bolo.jpg', mimeType: 'image/jpeg', buffer: PHOTO },
    { name: 'nota.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'planilha.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\x03\x04') },
  ]);
  const tray = pane.getByRole('region', { name: 'Arquivos a enviar' });
  await expect(tray.getByRole('listitem')).toHaveCount(3);
  // Checked at once, by the same rule as the server: the official API takes no ZIP.
  await expect(tray.getByRole('listitem').filter({ hasText: 'planilha.zip' })).toContainText('não aceita arquivos do tipo ZIP');
  await expect(tray.getByRole('button', { name: 'Enviar 3 arquivos' })).toBeDisabled();
  await tray.getByRole('listitem').filter({ hasText: 'planilha.zip' }).getByRole('button', { name: 'Remover' }).click();
  const thumb = tray.getByRole('listitem').filter({ hasText: 'bolo.jpg' }).locator('img');
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await tray.getByLabel('Legenda de bolo.jpg').fill('Seu bolo ficou assim');
  await page.screenshot({ path: '../target/screens/anexos-bandeja-1366.png' });

  // The progress bar follows the upload's own events (on this machine a file goes up at once: what the page
  // writes into the bar is recorded, and only those events fill it).
  await page.evaluate(() => {
    const seen: string[] = ((window as any).__progress = []);
    const write = Element.prototype.setAttribute;
    Element.prototype.setAttribute = function (name: string, value: string) {
      if (this instanceof HTMLProgressElement && name === 'value') seen.push(`${this.getAttribute('aria-label')}=${value}`);
      return write.call(this, name, value);
    };
  });
  await tray.getByRole('button', { name: 'Enviar 2 arquivos' }).click();
  await expect(tray).toBeHidden({ timeout: 10_000 });
  const progress: string[] = await page.evaluate(() => (window as any).__progress);
  expect(progress).toContain('Enviando bolo.jpg=1');
  expect(progress).toContain('Enviando nota.pdf=1');

  const messages = pane.getByRole('list', { name: 'Mensagens' });
  const photo = messages.getByRole('img', { name: 'Foto enviada pelo atendimento' });
  await expect(photo).toBeVisible();
  await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const photoItem = messages.getByRole('listitem').filter({ has: page.getByRole('img', { name: 'Foto enviada pelo atendimento' }) });
  await expect(photoItem).toContainText('Seu bolo ficou assim');
  await expect(photoItem).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
  // In order: the photo, then the document, once both went out (a message waiting in the queue shows where it
  // was written until the provider takes it, then where it went out).
  await expect(messages.getByRole('listitem').filter({ hasText: 'nota.pdf' })).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
  const bubbles = await messages.getByRole('listitem').allInnerTexts();
  expect(bubbles.findIndex((t) => t.includes('nota.pdf'))).toBeGreaterThan(bubbles.findIndex((t) => t.includes('Seu bolo ficou assim')));
  await page.screenshot({ path: '../target/screens/anexos-enviados-1366.png' });

  // Dropped on the conversation.
  await dropFile(page, pane, 'recibo.jpg', 'image/jpeg', PHOTO);
  await expect(tray.getByRole('listitem')).toHaveCount(1);
  await tray.getByRole('button', { name: 'Enviar arquivo' }).click();
  await expect(tray).toBeHidden();
  await expect(messages.getByRole('img', { name: 'Foto enviada pelo atendimento' })).toHaveCount(2);

  // Pasted into the message box (a screenshot in the clipboard).
  await pane.getByLabel('Mensagem', { exact: true }).evaluate((box, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'image.jpg', { type: 'image/jpeg' }));
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, Array.from(PHOTO));
  await expect(tray.getByRole('listitem').filter({ hasText: 'image.jpg' })).toBeVisible();

  await page.setViewportSize({ width: 360, height: 740 });
  await tray.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '../target/screens/anexos-bandeja-360.png' });
  await tray.getByRole('button', { name: 'Cancelar' }).click();
  await expect(tray).toBeHidden();
});

test('um arquivo escrito enquanto o atendimento espera o contato fica na fila e sai quando ele responde', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Fila Anexo ${phone.typed.slice(-4)}`;
  await contactWrites(page, number, name, 'Pedido 77?', '25');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Reiniciar' }).click();
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  await panel.getByRole('radio', { name: /retomar_atendimento/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();
  await panel.getByRole('button', { name: 'Enviar mensagem' }).click();
  await expect(panel).toBeHidden();

  await pane.getByRole('button', { name: 'Anexar' }).click();
  await pane.getByRole('form', { name: 'Anexar arquivo' }).getByLabel('Escolher arquivos do computador').setInputFiles([
    { name: 'comprovante.jpg', mimeType: 'image/jpeg', buffer: PHOTO },
  ]);
  const tray = pane.getByRole('region', { name: 'Arquivos a enviar' });
  await tray.getByRole('button', { name: 'Enviar arquivo' }).click();
  await expect(tray).toBeHidden();
  const held = pane.getByRole('list', { name: 'Mensagens' }).getByRole('listitem').filter({
    has: page.getByRole('img', { name: 'Foto enviada pelo atendimento' }),
  });
  await expect(held).toContainText('Na fila: sai quando o contato responder');

  await contactWrites(page, number, name, '👍');
  const reopened = await openConversation(page, name);
  const sent = reopened.getByRole('list', { name: 'Mensagens' }).getByRole('listitem').filter({
    has: page.getByRole('img', { name: 'Foto enviada pelo atendimento' }),
  });
  await expect(sent).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
});

test('Reiniciar: o cabeçalho de imagem do modelo vem do computador, com prévia, e sai pelo id da Meta', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Cabecalho ${phone.typed.slice(-4)}`;
  await contactWrites(page, number, name, 'Chegou?', '25');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Reiniciar' }).click();
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  await panel.getByRole('radio', { name: /comprovante_entrega/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();

  // A PDF is refused at once: the header is a picture.
  const picker = panel.getByLabel('Escolher do computador');
  await picker.setInputFiles({ name: 'nota.pdf', mimeType: 'application/pdf', buffer: PDF });
  await expect(panel.getByText('O cabeçalho deste modelo é Imagem: escolha um arquivo JPG ou PNG (“nota.pdf” é PDF).')).toBeVisible();

  await picker.setInputFiles({ name: 'entrega.jpg', mimeType: 'image/jpeg', buffer: PHOTO });
  await expect(panel.getByText('📎 entrega.jpg')).toBeVisible();
  // The file, not a link, is the header now; the preview shows the picture above the text.
  await expect(panel.getByLabel('Imagem do cabeçalho (link)')).toHaveValue('');
  const preview = panel.getByLabel('Prévia da mensagem');
  const picture = preview.getByRole('img', { name: 'Imagem do cabeçalho' });
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await panel.getByLabel('Corpo {{1}}').fill('Rita');
  await panel.getByLabel('Corpo {{2}}').fill('A-55');
  await expect(preview).toContainText('Olá Rita, seu pedido A-55 foi entregue.');
  await page.screenshot({ path: '../target/screens/anexos-cabecalho-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/anexos-cabecalho-360.png', fullPage: true });
  await page.setViewportSize({ width: 1366, height: 768 });
  await panel.getByRole('button', { name: 'Enviar mensagem' }).click();
  await expect(panel).toBeHidden();

  // The template shows with its header's picture, and Meta took it.
  const template = pane.getByRole('listitem').filter({ hasText: 'Modelo de mensagem' });
  await expect(template).toContainText('seu pedido A-55 foi entregue');
  const shown = template.getByRole('img', { name: 'Foto enviada pelo atendimento' });
  await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(template).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
});
