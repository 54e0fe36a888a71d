// What the tests of the connection check (/diagnostics) do on its page, shared by
// diagnostics.test.mjs and dark-mode.test.mjs.

/** Presses the idle check for `length` and waits until each of its three rows has a verdict. */
export async function holdIdle(page, length = "2 seconds", wait = { timeout: 60000 }) {
  await page.getByRole("button", { name: `Hold an idle connection for ${length}` }).click();
  await page.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll("[data-role=idle-results] tr")];
      return rows.length === 3 && rows.every((row) => row.querySelector(".verdict").dataset.status !== "checking");
    },
    null,
    wait,
  );
}
