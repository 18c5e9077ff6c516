// The accessibility check itself must be able to fail, or every journey's "no violations" means nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAccessible, launchBrowser } from './browser.ts';

test('the axe check fails on a page with an unlabelled input and an image without alt text', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"><input type="text"></main></body></html>',
    );
    await assert.rejects(assertAccessible(page), /image-alt[\s\S]*label|label[\s\S]*image-alt/);
  } finally {
    await browser.close();
  }
});
