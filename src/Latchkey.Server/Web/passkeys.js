// Passkeys (WebAuthn). A form marked data-passkey="create" or "get" first asks the page for the ceremony's options
// (data-options, a POST carrying the form's antiforgery token), lets the browser talk to the authenticator, then submits
// the form itself with the browser's JSON response in its "credential" field. The server verifies everything; this
// script only carries messages. Without WebAuthn support the form says so and does nothing.
(function () {
  'use strict';

  function say(form, text) {
    var status = form.querySelector('.passkey-status');
    if (status) { status.textContent = text; status.classList.add('error'); }
  }

  function askOptions(form) {
    var body = new URLSearchParams();
    body.append('__RequestVerificationToken', form.querySelector('input[name="__RequestVerificationToken"]').value);
    return fetch(form.getAttribute('data-options'), { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) { throw new Error(json.error_description || 'The server did not start the passkey request.'); }
          return json;
        });
      });
  }

  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
        say(form, 'This browser cannot use passkeys. Use another way to sign in.');
        return;
      }

      var create = form.getAttribute('data-passkey') === 'create';
      askOptions(form)
        .then(function (options) {
          return create
            ? navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
            : navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
        })
        .then(function (credential) {
          form.querySelector('input[name="credential"]').value = JSON.stringify(credential.toJSON());
          form.submit();
        })
        .catch(function (error) {
          say(form, error && error.name === 'NotAllowedError'
            ? 'The passkey request was cancelled or timed out.'
            : (error && error.message) || 'The passkey request failed.');
        });
    });
  });
})();
