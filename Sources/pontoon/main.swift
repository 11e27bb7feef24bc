print("pontoon")
