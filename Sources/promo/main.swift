print("promo")
