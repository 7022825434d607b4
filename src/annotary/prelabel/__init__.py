"""prelabel"""
