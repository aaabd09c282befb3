"""The files the stages hand each other, one module per format: its shape, its reader and its writer.

Reading a format loads no stage, so the site, search, `show`, tests and the bench read what a stage wrote
without importing the stage that wrote it.
"""
