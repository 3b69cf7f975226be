fn main() {
    println!("kbsite");
}
