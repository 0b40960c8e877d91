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

export type Canal = 'oficial' | 'nao_oficial' | 'messenger' | 'instagram';

/** The contact writes through the sandbox's "Simulador de contato", on `canal`, now or 25 hours ago. */
export async function contactWrites(
  page: Page,
  number: string,
  name: string,
  text: string,
  hoursAgo: '0' | '25' = '0',
  canal: Canal = 'oficial',
) {
  await page.goto('/sandbox/simulador');
  await page.getByLabel('Número do contato (com DDI e DDD)').fill(number);
  await page.getByLabel('Nome do contato').fill(name);
  await page.getByLabel('Canal').selectOption(canal);
  await page.getByLabel('Quando o contato escreveu').selectOption(hoursAgo);
  await page.getByLabel('Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)').fill(text);
  await page.getByRole('button', { name: 'Enviar como contato' }).click();
  await expect(page.getByText(/Mensagem entregue ao Atende/)).toBeVisible();
}

/** Opens the contact's conversation from "Meus" (the agent's own). */
export async function openConversation(page: Page, name: string) {
  await openAtendimentos(page);
  await page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name, exact: true }).click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  return pane;
}

/**
 * A conversation the contact started waits in "Não atribuídos": the agent opens it there, presses "Assumir",
 * and from then on it is in their "Meus", where it is opened.
 */
export async function takeConversation(page: Page, name: string) {
  await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  await page.getByRole('tabpanel', { name: 'Não atribuídos' }).getByRole('button', { name, exact: true }).click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await pane.getByRole('button', { name: 'Assumir' }).click();
  await expect(pane.getByRole('button', { name: 'Assumir' })).toBeHidden();
  await expect(pane.getByText(/Atendimento atribuído/)).toBeAttached();
  await page.getByRole('tab', { name: 'Meus' }).click();
  await page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name, exact: true }).click();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  return pane;
}

/**
 * "Conversar" with a number no contact has: "Novo contato" saves it under `prefix` and the "Enviar mensagem"
 * panel confirms it.
 */
export async function conversarComNovoContato(page: Page, prefix: string) {
  await openAtendimentos(page);
  const phone = uniqueMobile();
  const name = `${prefix} ${phone.typed.slice(-4)}`;
  await page.getByLabel('Número com DDD').fill(phone.typed);
  await page.getByRole('button', { name: 'Conversar' }).click();
  const panel = page.getByRole('dialog', { name: 'Enviar mensagem' });
  const form = panel.getByRole('dialog', { name: 'Novo contato' });
  await form.getByLabel('Nome').fill(name);
  await form.getByRole('button', { name: 'Salvar' }).click();
  await expect(panel).toContainText('Contato encontrado');
  return { panel, name, phone };
}
