import { test, expect } from '@playwright/test';
import { openAtendimentos } from './helpers';

// Issue #20: the list is read a page at a time. The page the server renders has the first 50 rows; scrolling
// near the end reads the next; the live stream moves a row that changed to the top without reading the list
// again, and never shows it twice. (Named to run last: its sixty conversations would push other specs' rows
// off the first page.)
test('com muitos atendimentos, a lista mostra 50, carrega mais ao rolar e o ao vivo põe no topo quem escreveu', async ({ page, baseURL }) => {
  const stamp = String(Date.now() % 100000).padStart(5, '0');
  const writes = async (i: number, text: string) => {
    const response = await page.request.post('/sandbox/simulador', {
      headers: { Origin: baseURL ?? '' },
      form: {
        numero: `55219${stamp}${String(i).padStart(3, '0')}`,
        nome: `Volume ${stamp} ${String(i).padStart(2, '0')}`,
        texto: text,
        horas_atras: '0',
        canal: 'oficial',
      },
    });
    expect(await response.text()).toContain('Mensagem entregue ao Atende');
  };
  for (let i = 0; i < 60; i++) {
    await writes(i, `Pedido número ${i}`);
  }
  const errors = await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  const list = page.getByRole('tabpanel', { name: 'Não atribuídos' });
  const rows = list.getByRole('listitem');
  const oldest = rows.filter({ hasText: `Volume ${stamp} 00` });
  await expect(rows.filter({ hasText: `Volume ${stamp} 59` })).toBeVisible();
  await expect(rows).toHaveCount(50);
  await expect(oldest).toHaveCount(0);
  await expect(list.getByRole('button', { name: 'Carregar mais' })).toBeVisible();
  await page.screenshot({ path: '../target/screens/lista-primeira-pagina-1366.png' });

  // Scrolling to the end reads the next page (and the one after, while the end is near).
  await list.evaluate((element) => element.scrollTo(0, element.scrollHeight));
  await expect(rows.nth(50)).toBeAttached();
  const count = await rows.count();
  expect(count).toBeGreaterThan(50);
  await list.evaluate((element) => element.scrollTo(0, element.scrollHeight));
  await expect(oldest).toHaveCount(1);
  await page.screenshot({ path: '../target/screens/lista-rolada-1366.png' });

  // The oldest writes again: it moves to the top by itself, once; the rows already read stay.
  const before = await rows.count();
  await writes(0, 'Ainda estou esperando');
  await expect(rows.first()).toContainText('Ainda estou esperando', { timeout: 3_000 });
  await expect(oldest).toHaveCount(1);
  await expect(rows).toHaveCount(before);

  // Taking one far down the list ("Assumir") takes only its row out: the pages read stay.
  const far = rows.filter({ hasText: `Volume ${stamp} 05` });
  await far.getByRole('button').first().click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await pane.getByRole('button', { name: 'Assumir' }).click();
  await expect(far).toHaveCount(0, { timeout: 3_000 });
  await expect(rows).toHaveCount(before - 1);

  // On a phone the list alone fills the screen, and scrolls the same way.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('button', { name: '← Atendimentos' }).click();
  await list.evaluate((element) => element.scrollTo(0, 0));
  await page.screenshot({ path: '../target/screens/lista-telefone-360.png' });
  expect(errors).toEqual([]);
});

// A list whose rows do not fill its box (a tall screen, a page that came short) reads the next page by itself:
// no scroll event would come to ask for it.
test('numa tela alta, a lista lê a página seguinte sem rolar', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 6000 });
  const errors = await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  const rows = page.getByRole('tabpanel', { name: 'Não atribuídos' }).getByRole('listitem');
  await expect(rows.nth(50)).toBeAttached();
  expect(errors).toEqual([]);
});
