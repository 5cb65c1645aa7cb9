minutes = { $n } daqiqa
seconds = { $n } soniya
share-phone-button = 📱 Telefon raqamni yuborish
get-code-button = 🔑 Kirish kodini olish
welcome = Xush kelibsiz! Bu bot do‘kon saytiga kirish kodlarini yuboradi.

    Telefoningizni ushbu Telegram akkauntiga bog‘lash uchun pastdagi “Telefon raqamni yuborish” tugmasini bosing.
help = Telefoningizni “Telefon raqamni yuborish” tugmasi bilan bog‘lang, so‘ng do‘kon saytida kod so‘rang — u shu yerga keladi.
linked = ✅ { $phone } telefoningiz bog‘landi. Kirish kodlari shu chatga keladi.
log-in-here = Kirish: { $url }
not-your-contact = Bu boshqa odamning kontakti. Faqat o‘z raqamingizni bog‘lash mumkin: pastdagi “Telefon raqamni yuborish” tugmasini bosing.
typed-phone-refused = Xavfsizlik uchun yozilgan raqamni bog‘lab bo‘lmaydi. Telegram raqam sizniki ekanini tasdiqlashi uchun “Telefon raqamni yuborish” tugmasini bosing.
invalid-contact-phone = Bu telefon raqami noto‘g‘ri ko‘rinadi, uni bog‘lab bo‘lmaydi.
moved-away = { $phone } telefoningiz boshqa Telegram akkauntiga bog‘landi, uning kodlari endi bu yerga kelmaydi. Agar bu siz bo‘lmasangiz, raqamingizni qayta yuboring.
phone-locked = ⚠️ Kimdir saytda { $phone } raqamingiz uchun kirish kodlarini taxmin qilmoqda, shuning uchun u yerda so‘ralgan kodlar vaqtincha bloklandi. Agar bu siz bo‘lsangiz, quyidagi “Kirish kodini olish” tugmasini bosing: bu chatdan olingan kod har doim ishlaydi.
status-linked = Bog‘langan telefon: { $phone }
verified-yes = Tasdiqlangan: ha (saytga kirgansiz)
verified-no = Tasdiqlangan: hali yo‘q (saytga bir marta kiring)
status-unlinked = Bu akkauntga hali telefon bog‘lanmagan. “Telefon raqamni yuborish” tugmasini bosing.
temporarily-unavailable = Bizda nimadir xato ketdi. Bir daqiqadan so‘ng qayta urinib ko‘ring.
code-offer = Saytga kirish kerakmi? { $phone } uchun kirish kodini olish uchun tugmani bosing.
link-first = Avval telefoningizni bog‘lang: pastdagi “Telefon raqamni yuborish” tugmasini bosing.
wait-for-code = Kod hozirgina yuborildi. Yangisini { $seconds } soniyadan so‘ng so‘rashingiz mumkin.
login-code = 🔐 Kirish kodingiz: { $code }

    U { $duration } amal qiladi. Uni hech kimga aytmang: biz uni hech qachon so‘ramaymiz.
enter-it-at = Uni bu yerga kiriting: { $url }
language-set = Til: o‘zbekcha.
language-usage = /language uz, /language ru yoki /language en yuboring.
commands = Buyruqlar:
    /start — telefon raqamini bog‘lash
    /code — saytga kirish kodini olish
    /status — qaysi telefon bog‘langan va bu chat qaysi do‘konlar buyurtmalarini oladi
    /language — tilni tanlash: /language uz, ru yoki en
    /link — do‘konning yangi buyurtmalarini shu chatda olish: /link <token>
    /unlink — bu chatda buyurtmalarni olishni to‘xtatish
    /help — shu yordam
shop-subscribed = 🛎 Bu chat endi “{ $shop }” do‘konining yangi buyurtmalarini oladi.
shop-chat-added = 🔔 “{ $shop }” buyurtmalarini endi yana bir chat oladi: { $chat }, qo‘shgan: { $who }. Agar buni kutmagan bo‘lsangiz, do‘kondan uni olib tashlashni so‘rang.
group-named = “{ $title }” guruhi
private-chat = shaxsiy chat
shop-link-invalid = Bu do‘kon havolasi noma’lum yoki endi amal qilmaydi. Do‘kondan yangi havola so‘rang.
link-usage = /link va do‘kon tokenini yuboring, masalan /link shop_AbC123 (token — egasi havolasining oxiri).
admins-only = Buni faqat guruh administratori qila oladi.
shops-unlinked-none = Bu chat hech bir do‘konning buyurtmalarini olmayotgan edi.
shops-unlinked = Bu chat endi quyidagilarning buyurtmalarini olmaydi: { $shops }.
status-shops-none = Bu chat hech bir do‘konning buyurtmalarini olmaydi.
status-shops = Bu chat quyidagilarning buyurtmalarini oladi: { $shops }.
order-new = Yangi buyurtma #{ $order }
order-items = Mahsulotlar
order-more = … va yana { $count } ta
order-open = Buyurtmani ochish
login-confirm = 🔐 { $site } saytiga kirasizmi?
    { $origin_line }
    Kirish { $browser } brauzerida { $time } da boshlandi. “Kirish” shu brauzerni { $phone } hisobingizga kiritadi.

    Faqat bu kirishni hozirgina o‘zingiz boshlagan bo‘lsangiz bosing. Aks holda “Bu men emas” tugmasini bosing, hech kim kira olmaydi.
login-confirm-origin = Sayt: { $origin }
login-site-fallback = do‘kon
login-browser-unknown = noma’lum brauzer
login-button = ✅ Kirish
not-me-button = 🚫 Bu men emas
login-approved = ✅ Siz { $site } saytiga kirdingiz. Brauzerga qayting.
login-denied = 🚫 Kirish rad etildi: hech kim kirmadi. Agar kirishni so‘ramagan bo‘lsangiz, bunga e’tibor bermang.
login-link-expired = Kirish havolasining muddati tugagan yoki u yaroqsiz. Saytda qaytadan boshlang.
login-link-used = Bu kirish havolasi allaqachon ishlatilgan. Saytda qaytadan boshlang.
login-share-phone = { $site } saytiga kirish uchun avval telefoningizni bog‘lang: pastdagi “Telefon raqamni yuborish” tugmasini bosing.
login-already-answered = Bu kirish so‘roviga allaqachon javob berilgan.
login-limited = Qisqa vaqtda juda ko‘p kirish havolalari. Bir daqiqadan so‘ng qayta urinib ko‘ring.
page-refused-title = Bu kirish havolasi ishlamaydi
page-refused-hint = Do‘kon saytiga qayting va qaytadan urinib ko‘ring.
page-logout-title = otpgram’dan chiqasizmi?
page-logout-lead = Siz ushbu brauzerda otpgram’ga kirgansiz. Chiqqaningizdan so‘ng bu yerda istalgan do‘konga keyingi kirishda sizdan yana kimligingiz so‘raladi.
page-logout-back = Keyin { $site } saytiga qaytasiz.
page-logout-button = Chiqish
page-logout-done-title = Siz chiqdingiz
page-logout-done = Ushbu brauzerda keyingi kirishda sizdan yana kimligingiz so‘raladi.
login-pick-number = 👇 Kirish sahifasi QR-kod yoki tugma yonida ko‘rsatayotgan raqamni tanlang. Kirish sahifasini ko‘rmayapsizmi? “Bu men emas” tugmasini bosing.
login-wrong-number = 🚫 Bu kirish sahifasidagi raqam emas, shuning uchun kirish rad etildi va hech kim kirmadi. Agar kirishni o‘zingiz boshlagan bo‘lsangiz, saytda qaytadan boshlang.
login-code-for = 🔐 { $site } ({ $origin }) saytiga kirish kodingiz: { $code }

    U { $duration } amal qiladi. Uni faqat shu saytning kirish sahifasida kiriting va hech kimga aytmang.
page-login-title = { $site } saytiga kirish
page-login-lead = Telegram akkauntingiz orqali, parolsiz.
page-login-tap = Telegram orqali kirish
page-login-open = Telegramni ochish
page-login-tap-hint = Kompyuterda kodni telefoningiz bilan skanerlang.
page-login-pick = Telegramda shu raqamni tanlang:
page-login-continue = Telegramda tasdiqladim
page-login-or = yoki kod bilan
page-login-phone = Telefon raqami
page-login-send = Kod yuborish
page-login-code = Telegramdagi kod
page-login-verify = Kirish
page-login-resend-in = Yangi kod { $seconds } soniyadan so‘ng
page-login-resend = Yangi kod yuborish
page-login-sent = Kod Telegramga yuborildi.
page-login-sent-from = Kod Telegramga yuborildi: @{ $bot } yoki “Verification Codes” dan.
page-login-no-code = Kod kelmadimi?
page-login-open-bot = @{ $bot } ni oching
page-login-waiting = Sizni Telegramda kutyapmiz…
page-login-denied = Telegramda rad etildi. Bu siz bo‘lsangiz, qaytadan boshlang.
page-login-expired = Havola muddati tugadi. Tugmani yana bosing.
page-login-done = Kirdingiz. Saytga qaytaryapmiz…
page-login-footer = otpgram orqali kirish
page-login-invalid-phone = Telefon raqami noto‘g‘ri.
page-login-invalid-code = Kod noto‘g‘ri yoki muddati tugagan.
page-login-too-many-attempts = Juda ko‘p noto‘g‘ri kod. Yangi kod so‘rang.
page-login-rate-limited = Juda ko‘p urinish. Bir daqiqadan so‘ng qayta urinib ko‘ring.
page-login-forbidden-origin = Bu sahifadan kirib bo‘lmaydi. Kirish sahifasini do‘kon saytidan qayta oching.
page-login-unavailable = Nimadir xato ketdi. Bir daqiqadan so‘ng qayta urinib ko‘ring.
page-login-network = Aloqa yo‘q. Internetni tekshirib, qayta urinib ko‘ring.
