/**
 * A stand-in for Stripe.js v3, served by the local Stripe because the real one only loads from
 * Stripe's servers. It implements the subset the app uses: Stripe(pk), elements().create('card')
 * with mount/on/clear, createPaymentMethod, confirmCardPayment, handleNextAction and
 * retrievePaymentIntent. Card fields are sent only to the local Stripe, never to the app.
 * 3-D Secure opens the authentication page in an iframe overlay, as Stripe.js does.
 */
export const stripeJsStandIn = String.raw`(function () {
  'use strict';
  var script = document.currentScript;
  var API = script ? new URL(script.src).origin : '';

  function encode(obj, prefix, out) {
    out = out || [];
    Object.keys(obj).forEach(function (key) {
      var value = obj[key];
      var name = prefix ? prefix + '[' + key + ']' : key;
      if (value === undefined || value === null) return;
      if (typeof value === 'object') encode(value, name, out);
      else out.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(value)));
    });
    return out.join('&');
  }

  // The key goes as a form parameter, as Stripe.js sends it: a simple request needs no CORS preflight.
  function request(key, method, path, params) {
    var url = API + path;
    var init = { method: method };
    var form = encode(Object.assign({ key: key }, params || {}));
    if (method === 'GET') url += '?' + form;
    else {
      init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      init.body = form;
    }
    return fetch(url, init).then(function (res) {
      return res.json().then(function (body) {
        return { ok: res.ok, body: body };
      });
    });
  }

  function piIdFromSecret(secret) {
    return String(secret).split('_secret_')[0];
  }

  function CardElement() {
    this.container = null;
    this.listeners = {};
  }
  CardElement.prototype.mount = function (target) {
    var el = typeof target === 'string' ? document.querySelector(target) : target;
    if (!el) throw new Error('Stripe stand-in: mount target not found');
    el.innerHTML = '';
    var wrap = document.createElement('div');
    wrap.className = 'StripeElement local-stripe-card';
    wrap.setAttribute('data-local-stripe', 'card');
    var self = this;
    function input(name, placeholder, size, mode) {
      var i = document.createElement('input');
      i.setAttribute('data-field', name);
      i.setAttribute('placeholder', placeholder);
      i.setAttribute('autocomplete', name === 'number' ? 'cc-number' : name === 'expiry' ? 'cc-exp' : 'cc-csc');
      i.setAttribute('inputmode', mode || 'numeric');
      i.setAttribute('aria-label', placeholder);
      i.size = size;
      i.style.border = 'none';
      i.style.outline = 'none';
      i.style.font = 'inherit';
      i.style.marginRight = '0.5em';
      i.addEventListener('input', function () {
        self.emit('change', { complete: self.complete(), empty: self.value('number') === '' });
      });
      wrap.appendChild(i);
      return i;
    }
    this.fields = {
      number: input('number', 'Card number', 20),
      expiry: input('expiry', 'MM / YY', 7),
      cvc: input('cvc', 'CVC', 4),
    };
    wrap.style.border = '1px solid #bbb';
    wrap.style.borderRadius = '4px';
    wrap.style.padding = '0.5em';
    wrap.style.background = '#fff';
    el.appendChild(wrap);
    this.container = el;
    this.emit('ready', {});
  };
  CardElement.prototype.value = function (name) {
    return this.fields ? this.fields[name].value.replace(/\s+/g, '') : '';
  };
  CardElement.prototype.complete = function () {
    return /^\d{12,19}$/.test(this.value('number')) && /^\d{1,2}\/\d{2,4}$/.test(this.value('expiry')) && /^\d{3,4}$/.test(this.value('cvc'));
  };
  CardElement.prototype.on = function (event, fn) {
    (this.listeners[event] = this.listeners[event] || []).push(fn);
  };
  CardElement.prototype.emit = function (event, data) {
    (this.listeners[event] || []).forEach(function (fn) { fn(data); });
  };
  CardElement.prototype.clear = function () {
    var f = this.fields;
    if (f) { f.number.value = ''; f.expiry.value = ''; f.cvc.value = ''; }
  };
  CardElement.prototype.unmount = function () {
    if (this.container) this.container.innerHTML = '';
  };
  CardElement.prototype.details = function () {
    var exp = this.value('expiry').split('/');
    return { number: this.value('number'), exp_month: exp[0] || '', exp_year: exp[1] || '', cvc: this.value('cvc') };
  };

  function authenticate(pi) {
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.setAttribute('data-local-stripe', '3ds');
      overlay.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647';
      var frame = document.createElement('iframe');
      frame.name = 'local-stripe-3ds';
      frame.title = '3D Secure authentication';
      frame.style.cssText = 'width:420px;height:360px;border:0;border-radius:8px;background:#fff';
      frame.src = pi.next_action.use_stripe_sdk ? pi.next_action.use_stripe_sdk.stripe_js : pi.next_action.redirect_to_url.url;
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      function onMessage(event) {
        if (event.origin !== API || !event.data || event.data.type !== 'local-stripe-3ds') return;
        window.removeEventListener('message', onMessage);
        overlay.remove();
        resolve(event.data.outcome);
      }
      window.addEventListener('message', onMessage);
    });
  }

  function StripeStandIn(key) {
    if (!(this instanceof StripeStandIn)) return new StripeStandIn(key);
    if (!key || String(key).indexOf('pk_') !== 0) throw new Error('Stripe stand-in: a publishable key (pk_…) is required');
    this.key = key;
    this.isLocalStandIn = true;
  }
  StripeStandIn.prototype.elements = function () {
    return {
      create: function (type) {
        if (type !== 'card') throw new Error('Stripe stand-in: only the card element is emulated');
        return new CardElement();
      },
    };
  };
  StripeStandIn.prototype.createPaymentMethod = function (opts) {
    var card = opts.card || opts.element;
    var params = { type: 'card', card: card.details(), billing_details: opts.billing_details };
    return request(this.key, 'POST', '/v1/payment_methods', params).then(function (r) {
      return r.ok ? { paymentMethod: r.body } : { error: r.body.error };
    });
  };
  StripeStandIn.prototype.retrievePaymentIntent = function (clientSecret) {
    return request(this.key, 'GET', '/v1/payment_intents/' + piIdFromSecret(clientSecret), { client_secret: clientSecret }).then(function (r) {
      return r.ok ? { paymentIntent: r.body } : { error: r.body.error };
    });
  };
  StripeStandIn.prototype.handleNextAction = function (opts) {
    var self = this;
    var secret = opts.clientSecret;
    return self.retrievePaymentIntent(secret).then(function (r) {
      if (r.error) return r;
      var pi = r.paymentIntent;
      if (pi.status !== 'requires_action' || !pi.next_action) return { paymentIntent: pi };
      return authenticate(pi).then(function () {
        return self.retrievePaymentIntent(secret).then(function (after) {
          if (after.error) return after;
          var p = after.paymentIntent;
          if (p.status === 'requires_payment_method' && p.last_payment_error) return { error: Object.assign({ payment_intent: p }, p.last_payment_error) };
          return { paymentIntent: p };
        });
      });
    });
  };
  StripeStandIn.prototype.confirmCardPayment = function (clientSecret, data) {
    var self = this;
    var params = { client_secret: clientSecret, use_stripe_sdk: 'true' };
    var pm = data && data.payment_method;
    var start;
    if (pm && typeof pm === 'object' && pm.card) {
      start = self.createPaymentMethod({ card: pm.card, billing_details: pm.billing_details }).then(function (r) {
        if (r.error) return r;
        params.payment_method = r.paymentMethod.id;
        return null;
      });
    } else {
      if (pm) params.payment_method = pm;
      start = Promise.resolve(null);
    }
    return start.then(function (failed) {
      if (failed) return failed;
      return self.retrievePaymentIntent(clientSecret).then(function (r) {
        if (r.error) return r;
        if (r.paymentIntent.status === 'requires_action' && !params.payment_method) return self.handleNextAction({ clientSecret: clientSecret });
        return request(self.key, 'POST', '/v1/payment_intents/' + piIdFromSecret(clientSecret) + '/confirm', params).then(function (c) {
          if (!c.ok) return { error: c.body.error };
          if (c.body.status === 'requires_action') return self.handleNextAction({ clientSecret: clientSecret });
          return { paymentIntent: c.body };
        });
      });
    });
  };
  window.Stripe = StripeStandIn;
})();
`;
