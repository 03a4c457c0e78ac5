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
