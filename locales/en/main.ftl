minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
share-phone-button = 📱 Share phone number
get-code-button = 🔑 Get login code
welcome = Welcome! This bot sends you login codes for the shop's website.

    Press “Share phone number” below to link your phone to this Telegram account.
help = Link your phone with the “Share phone number” button, then ask for a code on the shop's website: it arrives here.
linked = ✅ Your phone { $phone } is linked. Login codes will arrive in this chat.
log-in-here = Log in here: { $url }
not-your-contact = That is someone else's contact. Only your own phone number can be linked: press “Share phone number” below.
typed-phone-refused = For your security a typed number can't be linked. Press “Share phone number” below so Telegram confirms it is yours.
invalid-contact-phone = That phone number doesn't look valid, so it can't be linked.
moved-away = Your phone { $phone } was linked to another Telegram account, so login codes for it no longer arrive here. If that wasn't you, share your phone again.
phone-locked = ⚠️ Someone is trying login codes for your phone { $phone } on the website, so codes asked for there are blocked for a while. If that was you, press “Get login code” below: a code from this chat always works.
status-linked = Linked phone: { $phone }
verified-yes = Verified: yes (you have logged in)
verified-no = Verified: not yet (log in once on the website)
status-unlinked = No phone is linked to this account yet. Press “Share phone number” to link one.
temporarily-unavailable = Something went wrong on our side. Please try again in a minute.
code-offer = Need to log in on the website? Press the button for a login code for { $phone }.
link-first = Link your phone first: press “Share phone number” below.
wait-for-code = A code was sent a moment ago. You can ask for a new one in { $seconds } s.
login-code = 🔐 Your login code: { $code }

    It is valid for { $duration }. Never share it with anyone: we will never ask you for it.
enter-it-at = Enter it at { $url }
language-set = Language: English.
language-usage = Send /language en, /language ru or /language uz.
commands = Commands:
    /start — link your phone number
    /code — get a login code for the website
    /status — show which phone is linked and which shops this chat hears about
    /language — choose the language: /language uz, ru or en
    /link — receive a shop's new orders in this chat: /link <token>
    /unlink — stop receiving orders in this chat
    /help — show this help
shop-subscribed = 🛎 This chat now receives new orders of “{ $shop }”.
shop-chat-added = 🔔 Another chat now receives the orders of “{ $shop }”: { $chat }, added by { $who }. If you did not expect this, ask the shop to remove it.
group-named = the group “{ $title }”
private-chat = a private chat
shop-link-invalid = That shop link is unknown, used up or no longer valid. Ask the shop for a new link.
link-usage = Send /link followed by the shop's token, e.g. /link shop_AbC123 (the token is the end of the shop's owner link).
admins-only = Only an administrator of this group can do that.
shops-unlinked-none = This chat was not receiving orders from any shop.
shops-unlinked = This chat no longer receives orders of: { $shops }.
status-shops-none = This chat receives orders of no shop.
status-shops = This chat receives orders of: { $shops }.
order-new = New order #{ $order }
order-items = Items
order-more = … and { $count } more
order-open = Open order
login-confirm = 🔐 Log in to { $site }?
    { $origin_line }
    A login was started in { $browser } at { $time }. “Log in” logs that browser in to your account { $phone }.

    Press it only if you started this login yourself, just now. If not, press “Not me” and nobody gets in.
login-confirm-origin = Website: { $origin }
login-site-fallback = the shop's website
login-browser-unknown = an unknown browser
login-button = ✅ Log in
not-me-button = 🚫 Not me
login-approved = ✅ You are logged in to { $site }. Go back to your browser.
login-denied = 🚫 Login refused: nobody was logged in. If you did not ask to log in, you can ignore this.
login-link-expired = This login link has expired or is not valid. Start again on the website.
login-link-used = This login link was already used. Start again on the website.
login-share-phone = To log in to { $site }, link your phone first: press “Share phone number” below.
login-already-answered = This login was already answered.
login-limited = Too many login links in a short time. Try again in a minute.
page-refused-title = This login link does not work
page-refused-hint = Go back to the shop's site and try again.
page-logout-title = Log out of otpgram?
page-logout-lead = You are logged in to otpgram in this browser. Once you log out, the next login to any shop here asks who you are again.
page-logout-back = Then you go back to { $site }.
page-logout-button = Log out
page-logout-done-title = You are logged out
page-logout-done = The next login in this browser asks who you are again.
login-pick-number = 👇 Pick the number the login page shows next to the QR code or the button. Not seeing a login page? Press “Not me”.
login-wrong-number = 🚫 That is not the number the login page shows, so the login was refused and nobody got in. If you started it yourself, start again on the website.
login-code-for = 🔐 Your code to log in to { $site } ({ $origin }): { $code }

    It is valid for { $duration }. Enter it only on that site's login page, never anywhere else, and never tell it to anyone.
page-login-title = Log in to { $site }
page-login-lead = With your Telegram account: no password.
page-login-tap = Log in with Telegram
page-login-open = Open Telegram
page-login-tap-hint = On a computer, scan the code with your phone.
page-login-pick = Pick this number in Telegram:
page-login-continue = I have confirmed in Telegram
page-login-or = or with a code
page-login-phone = Phone number
page-login-send = Send me a code
page-login-code = Code from Telegram
page-login-verify = Log in
page-login-resend-in = New code in { $seconds } s
page-login-resend = Send a new code
page-login-sent = The code is on its way to Telegram.
page-login-sent-from = The code is on its way to Telegram: from @{ $bot }, or from “Verification Codes”.
page-login-no-code = No code?
page-login-open-bot = Open @{ $bot }
page-login-waiting = Waiting for you in Telegram…
page-login-denied = Refused in Telegram. Start again if it was you.
page-login-expired = The link expired. Press the button again.
page-login-done = Logged in. Taking you back…
page-login-footer = Login by otpgram
page-login-invalid-phone = That phone number doesn't look right.
page-login-invalid-code = That code is wrong or expired.
page-login-too-many-attempts = Too many wrong codes. Ask for a new code.
page-login-rate-limited = Too many attempts. Try again in a minute.
page-login-forbidden-origin = This page cannot log you in from here. Open the login page again from the shop's site.
page-login-unavailable = Something went wrong on our side. Try again in a minute.
page-login-network = No connection. Check your internet and try again.
