from motcua.payments.sandbox.server import main

main()
