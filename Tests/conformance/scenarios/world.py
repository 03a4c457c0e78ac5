"""The simulated world's documented numbers (issue 3, docs/SERVER.md)."""
FROM = '+12025550199'
HUMAN = '+12015550100'          # answers after one ring
BUSY = '+12015550101'
NO_ANSWER = '+12015550102'
FAILS = '+12015550103'          # unroutable
MACHINE = '+12015550104'        # greeting, then beep: detect MACHINE then READY
FAX = '+12015550105'            # fax machine (CED; receives faxes)
DIGITS_1234 = '+12015550106'    # keys 1234# at a digits prompt
SAYS_YES = '+12015550107'       # says "yes" at a speech prompt
SHORT_CALL = '+12015550108'     # answers and hangs up after 2 s
# Outcome numbers (issue 12)
SHORT_GREETING = '+12015550120'  # machine, 1 s greeting: AMD says HUMAN
LONG_HELLO = '+12015550121'      # human, 3 s hello: AMD says MACHINE
LATE_BEEP = '+12015550122'       # machine whose beep comes 30 s after its greeting
DETECT_FAILS = '+12015550123'    # detectors fail after 2 s (detect.error)
FAX_BREAKS = '+12015550124'      # fax machine, 3 pages, fax.error at page 2
FAX_FAILS_PAGE = '+12015550125'  # fax machine, 3 pages, page 2 fails (finished, success false)
MUMBLES = '+12015550126'         # mumbles "billing" (confidence 35): no_match unless hinted
FRENCH = '+12015550127'          # says "oui" in fr-FR
KEYS_HASH = '+12015550128'       # 3 s message, then presses #
SILENT = '+12015550129'          # silent 8 s before talking
MISSING_MEDIA = 'https://media.example.com/greeting.mp3?status=404'
