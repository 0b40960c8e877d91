import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, uniqueMobile } from './helpers';

const ANSWER = 'Olá! Estamos fechados agora; voltamos na segunda às 8h.';

// The other specs share this server: whatever happens here, the shared inbox is always open again after.
test.afterEach(async ({ page, baseURL }) => {
  const reset = await page.request.post('/api/save_team_hours', {
    data: { team: null, form: null },
    headers: { Origin: baseURL! },
  });
  expect(reset.status()).toBe(200);
});

// Issue #19: "Horário de atendimento". An admin closes the shared inbox and turns the automatic answer on
// (its price said there); a contact who writes then gets it, shown in the conversation as automatic, and
// waits in "Não atribuídos". A day that closes before it opens is refused, in Portuguese, before "Salvar".
test('fora do horário o contato recebe a resposta automática, uma vez', async ({ page }) => {
  await openAtendimentos(page);
  await page.getByRole('button', { name: 'Mais opções' }).click();
  await page.getByRole('menuitem', { name: 'Horário de atendimento' }).click();
  await expect(page.getByRole('heading', { name: 'Horário de atendimento' })).toBeVisible();
  const inbox = page.getByRole('listitem', { name: 'Caixa de entrada comum' });
  await expect(inbox.locator('.hours-summary')).toHaveText('Sempre aberta');
  await inbox.getByRole('button', { name: 'Editar horário de Caixa de entrada comum' }).click();

  // Monday to Friday 08:00–18:00 is offered; a Monday closing before it opens is refused.
  const monday = inbox.getByRole('group', { name: 'Segunda' });
  await monday.getByLabel('Segunda: abre').fill('18:00');
  await monday.getByLabel('Segunda: fecha').fill('08:00');
  const problem = inbox.locator('.hours-editor .error');
  await expect(problem).toHaveText('Segunda: o fechamento precisa ser depois da abertura.');
  // Closed every day: the shop is shut whenever the spec runs.
  for (const day of ['Segunda', 'Terça', 'Quarta', 'Quinta', 'Sexta']) {
    await inbox.getByRole('group', { name: day }).getByRole('checkbox').uncheck();
  }
  await expect(problem).toHaveText('');
  await inbox.getByRole('checkbox', { name: 'Responder automaticamente a quem escrever fora do horário' }).check();
  await expect(problem).toHaveText('Escreva a resposta automática, ou desligue-a.');
  await expect(inbox.locator('.price')).toContainText(/a Meta cobra (US\$|R\$) [0-9.,]+ por envio a um número do Brasil/);
  await inbox.getByRole('textbox', { name: 'Resposta automática' }).fill(ANSWER);
  await page.screenshot({ path: '../target/screens/horario-1366.png', fullPage: true });
  await inbox.getByRole('button', { name: 'Salvar' }).click();
  await expect(inbox.locator('.hours-summary')).toHaveText('Fechado todos os dias');
  await expect(inbox.getByRole('status')).toHaveText('Fechada agora');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/horario-360.png', fullPage: true });
  await page.setViewportSize({ width: 1366, height: 768 });

  const phone = uniqueMobile();
  const name = `Cliente Noite ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi, estão abertos?');
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Alô?');
  await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  await page.getByRole('tabpanel', { name: 'Não atribuídos' }).getByRole('button', { name, exact: true }).click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  const automatic = pane.locator('.message.outbound').filter({ hasText: ANSWER });
  await expect(automatic).toHaveCount(1);
  await expect(automatic.locator('.kind')).toHaveText('Resposta automática');
  await expect(pane.getByRole('button', { name: 'Assumir' })).toBeVisible();
  await page.screenshot({ path: '../target/screens/horario-resposta-1366.png' });
});
