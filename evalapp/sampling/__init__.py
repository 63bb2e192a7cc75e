"""Stratified random sample draws and the people drawn."""
