// The offscreen document clears the clipboard for the service worker
// (which has no DOM): a copy command whose copy event writes nothing.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !msg || msg.target !== "offscreen") return false;
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
