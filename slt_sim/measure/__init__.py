"""What SLT measures from posteriors: free-energy slopes, volume scaling, WBIC, LLC."""
