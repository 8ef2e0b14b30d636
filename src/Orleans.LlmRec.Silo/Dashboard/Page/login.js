// The dashboard's login: the credential goes in a header of one POST (never in a URL); the answer sets the session cookie.
"use strict";
const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

// A JWT is three base64url parts; anything else is taken for an API key.
const isJwt = (s) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s);

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.textContent = "";
  const credential = document.getElementById("credential").value.trim();
  const headers = isJwt(credential) ? { Authorization: "Bearer " + credential } : { "X-Api-Key": credential };
  try {
    const response = await fetch("/dashboard/login", { method: "POST", headers, credentials: "same-origin" });
    if (response.ok) {
      location.replace("/dashboard");
      return;
    }
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not a problem body */ }
    error.textContent = `${response.status}: ${detail}`;
  } catch (failure) {
    error.textContent = String(failure);
  }
});
