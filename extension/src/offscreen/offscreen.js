// The offscreen document clears the clipboard for the service worker
// (which has no DOM): a copy command whose copy event writes nothing.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  // Only the service worker (no tab, the extension's own URL) may ask.
  const own = sender.id === chrome.runtime.id && !sender.tab && (sender.url || "").startsWith(chrome.runtime.getURL(""));
  if (!own || !msg || msg.target !== "offscreen") return false;
  if (msg.type === "clear-clipboard") {
    const clear = (e) => {
      e.clipboardData.setData("text/plain", "");
      e.preventDefault();
    };
    document.addEventListener("copy", clear, { once: true });
    document.execCommand("copy");
    sendResponse({ cleared: true });
  }
  return false;
});
