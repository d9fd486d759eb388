// Debian's Chromium for the browser checks (scripts/test-runtimes.mjs, scripts/test-bundlers.mjs),
// driven by playwright-core, never a downloaded browser. The flags keep it off the network: this
// machine's network is closed, and Chromium's background connections would otherwise be refused.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
