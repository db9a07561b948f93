"""Workers: render and mail the invoices the API queued."""
