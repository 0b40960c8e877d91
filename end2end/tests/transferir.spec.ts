import { test, expect } from '@playwright/test';
import { contactWrites, takeConversation, uniqueMobile } from './helpers';

// Issue #19: "Transferir" — to a team and one of its agents, with a note for whoever takes it, in one step.
test('Transferir leva o atendimento a outra equipe com uma nota, num passo só', async ({ page }) => {
  const suffix = String(Date.now() % 100000);
  const team = `Cobrança ${suffix}`;
  await page.goto('/admin');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const teams = page.getByRole('form', { name: 'Nova equipe' });
  await teams.getByLabel('Nome da equipe').fill(team);
  await teams.getByRole('button', { name: 'Criar equipe' }).click();
  await expect(page.getByText(team).first()).toBeVisible();

  const phone = uniqueMobile();
  const name = `Transferir ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Quero negociar uma dívida');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Transferir' }).click();
  const panel = pane.getByRole('form', { name: 'Transferir atendimento' });
  await panel.getByLabel('Equipe', { exact: true }).selectOption({ label: team });
  // An admin may answer any team's conversation: they are offered as its agent.
  await expect(panel.getByLabel('Responsável', { exact: true }).locator('option')).toContainText(['Ninguém (espera em “Não atribuídos” da equipe)', 'Administrador']);
  await panel.getByLabel('Nota para quem recebe (opcional)').fill('Cliente quer parcelar em 3 vezes.');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: '../target/screens/transferir-1366.png' });
  await panel.getByRole('button', { name: 'Transferir' }).click();
  await expect(panel).toBeHidden();

  // Moved, waiting for the team (nobody answers it now), the note among the messages, the history says so.
  const note = pane.getByRole('list', { name: 'Mensagens' }).getByRole('listitem', { name: 'Nota interna' });
  await expect(note).toContainText('Cliente quer parcelar em 3 vezes.');
  await expect(pane.locator('label.assignee select')).toHaveValue('');
  await pane.getByText('Histórico').click();
  await expect(pane.getByText(new RegExp(`Atendimento transferido de equipe \\(da caixa de entrada comum para ${team}\\)`))).toBeVisible();
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Não atribuídos' }).getByRole('button', { name, exact: true })).toBeVisible();

  // The same team and nobody again: refused, with the reason.
  await pane.getByRole('button', { name: 'Transferir' }).click();
  await panel.getByLabel('Equipe', { exact: true }).selectOption({ label: team });
  await panel.getByRole('button', { name: 'Transferir' }).click();
  await expect(panel.getByRole('alert')).toHaveText(/já está com esta equipe e este responsável/);
});
